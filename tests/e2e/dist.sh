#!/usr/bin/env bash
# What rinit ships, checked as a user gets it: builds target/dist/ with
# dist/build, then checks the checksums; every architecture's binary
# (static, its architecture, stripped) run as PID 1 of a new PID namespace,
# under qemu-user where this machine cannot run it; the x86_64 one's size,
# memory and idle wake-ups, and that a second build gives the same bytes;
# the wheels (installed into a fresh venv, their tags, twine check); the
# .debs (fields, contents, the man page, lintian, dpkg --root -i); and that
# the crate packages and installs.
#
# Prints "N passed, N failed". Run as root: bash tests/e2e/dist.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

suite=dist
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

need=()
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
[ -x /usr/bin/tini-static ] || need+=(tini)
command -v file >/dev/null || need+=(file)
command -v dpkg-deb >/dev/null || need+=(dpkg)
command -v lintian >/dev/null || need+=(lintian)
command -v twine >/dev/null || need+=(twine)
command -v man >/dev/null || need+=(man-db)
install_missing "${need[@]}"

bash dist/build >/dev/null
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=$repo/target/dist
x86=$out/rinit-$version-x86_64-linux-musl

# What dist/build ships, a row each: the binary's name after rinit-VERSION-,
# what runs it here (- for this machine itself), what file(1) says of it,
# its Debian architecture and its wheel's machine (- for none).
arches=(
  "x86_64-linux-musl - x86-64 amd64 x86_64"
  "aarch64-linux-musl qemu-aarch64-static ARM.aarch64 arm64 aarch64"
  "armv7-linux-musleabihf qemu-arm-static 32-bit.*ARM,.EABI5 armhf armv7l"
  "armv5te-linux-musleabi qemu-arm-static 32-bit.*ARM,.EABI5 armel -"
  "i686-linux-musl - Intel.80386 i386 i686"
  "powerpc64le-linux-musl qemu-ppc64le-static 64-bit.LSB.*PowerPC ppc64el ppc64le"
  "s390x-linux-musl qemu-s390x-static 64-bit.MSB.*S/390 s390x s390x"
  "riscv64gc-linux-musl qemu-riscv64-static RISC-V riscv64 riscv64"
)

work=$(mktemp -d /tmp/rinit-dist.XXXXXX)
cleanup() {
  local status=$?
  # Anything still running from here dies with its namespace; the scratch goes.
  pkill -KILL -f "$work" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

# --- the files ----------------------------------------------------------------
wheels=$(for row in "${arches[@]}"; do read -r _ _ _ _ m <<<"$row"; [ "$m" = - ] || echo "$m"; done | wc -l)
# Binaries, .debs, wheels, the image and the SBOM; beside SHA256SUMS, the
# provenance of all of them (tests/e2e/image.sh checks those three).
files=$((${#arches[@]} * 2 + wheels + 2))
check "SHA256SUMS verifies every file: $files" bash -c "cd '$out' && sha256sum -c --quiet SHA256SUMS && [ \$(wc -l <SHA256SUMS) -eq $files ] && [ \$(ls | wc -l) -eq $((files + 2)) ]"
for row in "${arches[@]}"; do
  read -r name _ kind _ _ <<<"$row"
  binary=$out/rinit-$version-$name
  check "$name: static, $kind, stripped" bash -c "file -L '$binary' | grep -q '$kind.*static.*stripped'"
  # --inspect knows rinit as PID 1 by this note, whatever its path or version.
  check "$name: carries the .note.rinit --inspect looks for" bash -c "readelf -n '$binary' | grep -q 'Unknown note type: (0x52494e54)'"
  say "$name: $(stat -c %s "$binary") bytes"
done

# --- tiny: size, memory, idle wake-ups --------------------------------------------
size=$(stat -c %s "$x86")
# Issue 25's budget: --expand and OOM-aware deaths included.
check "x86_64 binary is at most 150,000 bytes ($size)" [ "$size" -le 150000 ]
# The tiny x86_64 build (dist/nightly's toolchain) twice, from the same
# tree into another target directory: the same bytes.
tiny_again() {
  cmp -s "$(bash dist/tiny "$work/tiny-again" x86_64-unknown-linux-musl)" "$x86"
}
check "x86_64 binary: a second build is byte-identical" tiny_again
# And the packages: dist/build again (the binaries cached now) makes the
# same wheels, .debs, image and SBOM, byte for byte (timestamps are the
# commit's), and the same provenance.
dist_again() {
  cp "$out/SHA256SUMS" "$work/SHA256SUMS.first"
  cp "$out/rinit-$version.intoto.jsonl" "$work/intoto.first"
  bash dist/build >/dev/null && cmp "$work/SHA256SUMS.first" "$out/SHA256SUMS" &&
    cmp "$work/intoto.first" "$out/rinit-$version.intoto.jsonl"
}
check "dist/build: a second run gives the same files" dist_again

# Each init sits idle as PID 1 of a namespace for 2 s; VmRSS and voluntary
# context switches are read from /proc.
idle() { # idle INIT: prints "VmRSS-kB wake-ups"
  unshare --pid --fork --mount-proc --kill-child -- "$1" -- sleep 30 &
  local holder=$! init=""
  for _ in $(seq 100); do
    init=$(pgrep -P "$holder" || true)
    [ -n "$init" ] && [ -n "$(pgrep -P "$init" || true)" ] && break
    sleep 0.05
  done
  sleep 0.5
  local before after rss
  before=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$init/status")
  sleep 2
  after=$(awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$init/status")
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$init/status")
  kill -KILL "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  echo "$rss $((after - before))"
}
# VmRSS moves by a page from run to run (where the stack's random start
# falls): the median of three, for each.
median_idle() { # median_idle INIT: the median VmRSS, and the most wake-ups seen
  local runs
  runs=$(for _ in 1 2 3; do idle "$1"; done)
  echo "$(cut -d' ' -f1 <<<"$runs" | sort -n | sed -n 2p) $(cut -d' ' -f2 <<<"$runs" | sort -n | tail -n 1)"
}
read -r rinit_rss rinit_wakeups < <(median_idle "$x86")
read -r tini_rss _ < <(median_idle /usr/bin/tini-static)
say "idle VmRSS, median of 3: rinit $rinit_rss kB, tini-static $tini_rss kB; rinit woke at most $rinit_wakeups times in 2 s"
# 196 (216 for issue 24's 16 kB of resident text): rinit's own heap
# instead of musl's mallocng won the pages back (184-188 kB measured; a
# page of room for where the stack's random start falls).
check "x86_64 binary idles in at most 196 kB VmRSS as PID 1 ($rinit_rss kB)" [ "$rinit_rss" -le 196 ]
check "x86_64 binary never wakes up while idle" [ "$rinit_wakeups" -eq 0 ]

# --- every architecture as PID 1 -------------------------------------------------------
# rinit runs as PID 1 of a new PID namespace (under qemu-user where this
# machine cannot run it natively); the commands it starts are this machine's
# own. qemu-user answers PR_SET_CHILD_SUBREAPER with EINVAL, so only PID 1
# is tried there.
status_of() { # status_of EXPECTED COMMAND...
  local expected=$1 got=0
  shift
  "$@" >/dev/null 2>&1 || got=$?
  [ "$got" -eq "$expected" ] || { say "exit status $got, expected $expected"; return 1; }
}
pid1() { # pid1 RUNNER BINARY ARGS...
  local runner=$1
  shift
  if [ "$runner" = - ]; then
    timeout 30 unshare --pid --fork --mount-proc --kill-child -- "$@"
  else
    timeout 30 unshare --pid --fork --mount-proc --kill-child -- "$runner" "$@"
  fi
}

# sigterm_pid1 LOG STATUS WORDS -- INIT...: runs INIT as PID 1 of a new PID
# namespace, sends it SIGTERM once LOG says "ready", and checks that it
# exits with STATUS and that LOG holds WORDS.
sigterm_pid1() {
  local log=$1 expected=$2 words=$3
  shift 4
  timeout 30 unshare --pid --fork --mount-proc --kill-child -- "$@" >"$log" 2>&1 &
  local holder=$! init=""
  for _ in $(seq 200); do
    # timeout, then unshare, then the init: PID 1 of the namespace.
    grep -q ready "$log" 2>/dev/null && init=$(pgrep -P "$(pgrep -P "$holder")") && break
    sleep 0.05
  done
  [ -n "$init" ] || return 1
  kill -TERM "$init"
  local status=0
  wait "$holder" || status=$?
  grep -q "$words" "$log" && [ "$status" -eq "$expected" ] || {
    cat "$log" >&2
    return 1
  }
}
orphans_reaped() { # orphans_reaped RUNNER BINARY
  local out
  out=$(pid1 "$@" -- sh -c 'for i in 1 2 3 4 5 6 7 8; do (sleep 0.1 &); done; sleep 0.8
    echo zombies $(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)')
  [ "$out" = "zombies 0" ] || { say "$out"; return 1; }
}
realtime() { # realtime LOG NUMBER INIT...
  local log=$1 got=$2
  shift 2
  sigterm_pid1 "$log" 0 "^app got $got\$" -- "$@" -v -r TERM:34 -- \
    sh -c 'for n in $(seq 34 64); do trap "echo app got $n; exit 0" $n; done; echo ready; while :; do sleep 0.05; done' &&
    grep -q "rewritten to SIGRTMIN, forwarded" "$log"
}
printf 'not a program\n' >"$work/not-executable"
app='trap "echo app got SIGTERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done'
for row in "${arches[@]}"; do
  read -r name runner _ _ _ <<<"$row"
  binary=$out/rinit-$version-$name
  run=("$binary")
  [ "$runner" = - ] || run=("$runner" "$binary")
  check "$name: exits with the command's status" status_of 7 pid1 "$runner" "$binary" -- sh -c 'exit 7'
  check "$name: 127 for a command not found" status_of 127 pid1 "$runner" "$binary" -- /nonexistent/command
  check "$name: 126 for a command that cannot run" status_of 126 pid1 "$runner" "$binary" -- "$work/not-executable"
  # The wrapper shell has no trap: SIGTERM kills it (143) after the app's.
  check "$name: SIGTERM reaches the app through a wrapper shell" sigterm_pid1 "$work/$name-term.log" 143 "app got SIGTERM" \
    -- "${run[@]}" -v -- sh -c "sh -c '$app'; echo after"
  # Real-time signals by the kernel's numbers whatever the C library: 34 is
  # SIGRTMIN in rinit's log and reaches the app as 34. qemu-user keeps the
  # host's first real-time signals for itself and hands a guest's 34 on as
  # a higher number: there, the log and that the app got one are checked.
  got=34
  [ "$runner" = - ] || got='[0-9]*'
  check "$name: a real-time signal goes by the kernel's number" realtime "$work/$name-rt.log" "$got" "${run[@]}"
  check "$name: orphans are reaped" orphans_reaped "$runner" "$binary"
done
# An OS error in the tiny build's words: qemu-user refuses the subreaper, so
# away from PID 1 rinit says why, as std prints an io::Error (nix's Errno
# prints through Debug, which -Zfmt-debug=none leaves empty).
subreaper_refused() {
  local said
  said=$(timeout 30 qemu-aarch64-static "$out/rinit-$version-aarch64-linux-musl" -- true 2>&1) || return 1
  grep -qF "cannot become child subreaper (Invalid argument (os error 22))" <<<"$said" || {
    say "$said"
    return 1
  }
}
check "aarch64 under qemu, not PID 1: the refused subreaper is named with its OS error" subreaper_refused

# --- the wheel ---------------------------------------------------------------------
wheel_runs() {
  python3 -m venv "$work/venv" &&
    "$work/venv/bin/pip" install -q --no-index "$out"/rinit-"$version"-py3-none-*x86_64*.whl &&
    [ -x "$work/venv/bin/rinit" ] || return 1
  local script='import signal, sys, time
def stop(*_):
    print("python got SIGTERM", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
time.sleep(60)'
  sigterm_pid1 "$work/wheel.log" 0 "python got SIGTERM" \
    -- "$work/venv/bin/rinit" -- "$work/venv/bin/python" -c "$script"
}
check "wheel: pip install --no-index puts a working rinit in the venv" wheel_runs
# Every wheel: tagged for its machine's manylinux and musllinux, which PyPI
# takes wheels for (pypi/warehouse's list, riscv64 since 2025), holding that
# machine's binary; twine's own check of the metadata, warnings as errors.
wheel_tags() { # wheel_tags MACHINE BINARY
  python3 - "$out"/rinit-"$version"-py3-none-*"$1"*.whl "$version" "$1" "$2" <<'PY'
import sys, zipfile
wheel, version, machine, binary = sys.argv[1:5]
pypi = {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"}
z = zipfile.ZipFile(wheel)
tags = {l[5:] for l in z.read(f"rinit-{version}.dist-info/WHEEL").decode().splitlines() if l.startswith("Tag: ")}
named = {"py3-none-" + p for p in wheel[:-4].split("-py3-none-")[1].split(".")}
wanted = {f"py3-none-manylinux_2_17_{machine}", f"py3-none-musllinux_1_1_{machine}"}
same = z.read(f"rinit-{version}.data/scripts/rinit") == open(binary, "rb").read()
sys.exit(0 if machine in pypi and wanted <= tags and tags == named and same else 1)
PY
}
for row in "${arches[@]}"; do
  read -r name _ _ _ machine <<<"$row"
  [ "$machine" = - ] && continue
  check "wheel $machine: manylinux and musllinux tags, its binary" wheel_tags "$machine" "$out/rinit-$version-$name"
done
check "wheels: twine check --strict" twine check --strict "$out"/*.whl

# --- the .debs ----------------------------------------------------------------------
for row in "${arches[@]}"; do
  read -r name _ _ arch _ <<<"$row"
  deb=$out/rinit_${version}_$arch.deb
  check "deb $arch: package, version, architecture" bash -c \
    "[ \"\$(dpkg-deb -f '$deb' Package Version Architecture | tr '\n' ' ')\" = 'Package: rinit Version: $version Architecture: $arch ' ]"
  check "deb $arch: /usr/bin/rinit (its own binary), rinit(1), README, changelog and license" bash -c \
    "dpkg-deb -c '$deb' | awk '{print \$NF}' | grep -c -x -e ./usr/bin/rinit -e ./usr/share/man/man1/rinit.1.gz -e ./usr/share/doc/rinit/README.md -e ./usr/share/doc/rinit/changelog.gz -e ./usr/share/doc/rinit/copyright | grep -qx 5 &&
     dpkg-deb --fsys-tarfile '$deb' | tar -xO ./usr/bin/rinit | cmp -s - '$out/rinit-$version-$name'"
  check "deb $arch: docs/ in /usr/share/doc/rinit/docs/, every page" bash -c \
    "[ \"\$(dpkg-deb -c '$deb' | awk '{print \$NF}' | grep -c '^./usr/share/doc/rinit/docs/.*\.md\$')\" -eq \$(ls '$repo'/docs/*.md | wc -l) ]"
done
# lintian, Debian's own package checker: no error and no warning (-I shows
# the informational tags too, which are allowed).
lintian_clean() {
  local report
  report=$(lintian --fail-on error,warning --tag-display-limit 0 "$out"/*.deb 2>&1) || {
    printf '%s\n' "$report" >&2
    return 1
  }
  ! grep -E '^(E|W): ' <<<"$report"
}
check "debs: lintian reports no error and no warning" lintian_clean
deb_installs() {
  local root=$work/debroot
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  touch "$root/var/lib/dpkg/status"
  dpkg --root="$root" --force-script-chrootless -i "$out/rinit_${version}_amd64.deb" >/dev/null &&
    dpkg --root="$root" -s rinit | grep -q '^Status: install ok installed' &&
    status_of 3 "$root/usr/bin/rinit" -- sh -c 'exit 3'
}
check "deb amd64: dpkg --root installs a working /usr/bin/rinit" deb_installs
# The man page comes from --help: every option --help lists is in it, and
# man renders it without a complaint.
man_page() {
  local page rendered
  page=$work/debroot/usr/share/man/man1/rinit.1.gz
  rendered=$(MANWIDTH=80 man --warnings -l "$page" 2>"$work/man.err") || return 1
  [ ! -s "$work/man.err" ] || { cat "$work/man.err" >&2; return 1; }
  local option missing=0
  for option in $("$x86" --help | grep -oE -- '(^|[ ,])--?[a-zA-Z][a-z-]*' | tr -d ' ,' | sort -u); do
    grep -qF -- "$option" <<<"$rendered" || { say "rinit(1) lacks $option"; missing=1; }
  done
  for section in NAME SYNOPSIS OPTIONS ENVIRONMENT PERSONALITIES "EXIT STATUS" SHUTDOWN; do
    grep -qx "$section" <<<"$rendered" || { say "rinit(1) lacks $section"; missing=1; }
  done
  [ "$missing" -eq 0 ]
}
check "deb amd64: rinit(1) renders, with every option of --help and its sections" man_page

# --- the crate ----------------------------------------------------------------------
crate_packages() {
  cargo package --locked --quiet --allow-dirty --target-dir "$work/package" >/dev/null 2>&1 || return 1
  local listed
  listed=$(cargo package --list --allow-dirty 2>/dev/null)
  # What it needs and nothing else: no tests' e2e scripts, benches or fuzzers.
  grep -qx src/main.rs <<<"$listed" && grep -qx LICENSE <<<"$listed" &&
    ! grep -q -e '^fuzz/' -e '^bench/' -e '^tests/e2e/' -e '^dist/' -e '^\.ci/' <<<"$listed"
}
check "cargo package passes and holds only what it needs" crate_packages
# rinit alone: the tests' helper programs are a package of their own.
check "cargo install --path . installs rinit and nothing else" bash -c \
  "cargo install --locked --quiet --path . --root '$work/install' --target-dir '$work/install-target' && [ \"\$(ls '$work/install/bin')\" = rinit ] && '$work/install/bin/rinit' -- sh -c 'exit 4'; [ \$? -eq 4 ]"

# rust-version is the oldest toolchain that builds rinit: build with it.
msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
msrv_builds() {
  rustup toolchain list | grep -q "^$msrv-" ||
    rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1 || {
    say "cannot install Rust $msrv"
    return 1
  }
  cargo "+$msrv" build --locked --quiet --bin rinit --target-dir "$work/msrv"
}
check "rust-version $msrv builds rinit" msrv_builds

echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
