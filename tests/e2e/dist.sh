#!/usr/bin/env bash
# What rinit ships, checked as a user gets it: builds target/dist/ with
# dist/build, then checks the checksums, the binaries (static, their
# architecture, the x86_64 one's size, memory and idle wake-ups against
# tini-static), runs the arm64 binary under qemu-user as PID 1 of a new PID
# namespace, installs the x86_64 wheel into a fresh venv and the .deb into
# a scratch root, and checks that the crate packages and installs.
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
install_missing "${need[@]}"

bash dist/build >/dev/null
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=$repo/target/dist
x86=$out/rinit-$version-x86_64-linux-musl
arm=$out/rinit-$version-aarch64-linux-musl

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
check "SHA256SUMS verifies every file" bash -c "cd '$out' && sha256sum -c --quiet SHA256SUMS && [ \$(wc -l <SHA256SUMS) -eq 6 ]"
check "x86_64 binary: static, x86-64, stripped" bash -c "file -L '$x86' | grep -q 'x86-64.*static.*stripped'"
check "arm64 binary: static, aarch64, stripped" bash -c "file -L '$arm' | grep -q 'aarch64.*statically linked.*stripped'"
size=$(stat -c %s "$x86")
say "x86_64 binary: $size bytes"
check "x86_64 binary is at most 600 kB" [ "$size" -le 600000 ]
# The tiny x86_64 build (dist/nightly's toolchain) twice, from the same
# tree into another target directory: the same bytes.
tiny_again() {
  cmp -s "$(bash dist/tiny x86_64-unknown-linux-musl "$work/tiny-again")" "$x86"
}
check "x86_64 binary: a second build is byte-identical" tiny_again

# --- lean: memory and idle wake-ups against tini-static -------------------------
# Both sit idle as PID 1 of a namespace for 2 s; VmRSS and voluntary context
# switches are read from /proc.
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
# VmRSS moves by a few pages from run to run (how many file pages the
# kernel maps around each fault): the median of three, for each.
median_idle() { # median_idle INIT: the median VmRSS, and the most wake-ups seen
  local runs
  runs=$(for _ in 1 2 3; do idle "$1"; done)
  echo "$(cut -d' ' -f1 <<<"$runs" | sort -n | sed -n 2p) $(cut -d' ' -f2 <<<"$runs" | sort -n | tail -n 1)"
}
read -r rinit_rss rinit_wakeups < <(median_idle "$x86")
read -r tini_rss _ < <(median_idle /usr/bin/tini-static)
say "idle VmRSS, median of 3: rinit musl $rinit_rss kB, tini-static $tini_rss kB; rinit woke at most $rinit_wakeups times in 2 s"
check "x86_64 binary idles at or below 0.8x tini-static's VmRSS" [ $((rinit_rss * 10)) -le $((tini_rss * 8)) ]
check "x86_64 binary never wakes up while idle" [ "$rinit_wakeups" -eq 0 ]

# --- arm64 under qemu-user, as PID 1 ---------------------------------------------
# qemu-aarch64-static runs rinit; the commands it starts are this machine's own.
arm_pid1() { timeout 30 unshare --pid --fork --mount-proc --kill-child -- qemu-aarch64-static "$arm" "$@"; }
status_of() { # status_of EXPECTED COMMAND...
  local expected=$1 got=0
  shift
  "$@" >/dev/null 2>&1 || got=$?
  [ "$got" -eq "$expected" ] || { say "exit status $got, expected $expected"; return 1; }
}
check "arm64: exits with the command's status" status_of 7 arm_pid1 -- sh -c 'exit 7'
check "arm64: 127 for a command not found" status_of 127 arm_pid1 -- /nonexistent/command
printf 'not a program\n' >"$work/not-executable"
check "arm64: 126 for a command that cannot run" status_of 126 arm_pid1 -- "$work/not-executable"

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
app='trap "echo app got SIGTERM; exit 0" TERM; echo ready; while :; do sleep 0.05; done'
# The wrapper shell has no trap: SIGTERM kills it (143) after the app's.
check "arm64: SIGTERM reaches the app through a wrapper shell" sigterm_pid1 "$work/arm-term.log" 143 "app got SIGTERM" \
  -- qemu-aarch64-static "$arm" -v -- sh -c "sh -c '$app'; echo after"
arm_orphans() {
  local out
  out=$(arm_pid1 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do (sleep 0.1 &); done; sleep 0.8
    echo zombies $(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)')
  [ "$out" = "zombies 0" ] || { say "$out"; return 1; }
}
check "arm64: orphans are reaped" arm_orphans

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
wheel_tags() {
  python3 - "$out"/rinit-"$version"-py3-none-*x86_64*.whl "rinit-$version.dist-info/WHEEL" <<'PY'
import sys, zipfile
tags = zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode().splitlines()
wanted = {"Tag: py3-none-manylinux_2_17_x86_64", "Tag: py3-none-musllinux_1_1_x86_64"}
sys.exit(0 if wanted <= set(tags) else 1)
PY
}
check "wheel: tagged for any Python 3 on glibc and musl Linux" wheel_tags

# --- the .deb -----------------------------------------------------------------------
for arch in amd64 arm64; do
  deb=$out/rinit_${version}_$arch.deb
  check "deb $arch: package, version, architecture" bash -c \
    "[ \"\$(dpkg-deb -f '$deb' Package Version Architecture | tr '\n' ' ')\" = 'Package: rinit Version: $version Architecture: $arch ' ]"
  check "deb $arch: /usr/bin/rinit, README and license" bash -c \
    "dpkg-deb -c '$deb' | awk '{print \$NF}' | grep -c -x -e ./usr/bin/rinit -e ./usr/share/doc/rinit/README.md -e ./usr/share/doc/rinit/copyright | grep -qx 3"
done
deb_installs() {
  local root=$work/debroot
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  touch "$root/var/lib/dpkg/status"
  dpkg --root="$root" --force-script-chrootless -i "$out/rinit_${version}_amd64.deb" >/dev/null &&
    dpkg --root="$root" -s rinit | grep -q '^Status: install ok installed' &&
    status_of 3 "$root/usr/bin/rinit" -- sh -c 'exit 3'
}
check "deb amd64: dpkg --root installs a working /usr/bin/rinit" deb_installs

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
check "cargo install --path . installs a working rinit" bash -c \
  "cargo install --locked --quiet --path . --bin rinit --root '$work/install' --target-dir '$work/install-target' && '$work/install/bin/rinit' -- sh -c 'exit 4'; [ \$? -eq 4 ]"

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
