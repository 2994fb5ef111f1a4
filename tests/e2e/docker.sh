#!/usr/bin/env bash
# End-to-end: rinit in a real Docker engine.
#
# Installs Debian's docker.io and busybox-static when missing, starts a
# dockerd of its own (own data root, exec root, pidfile and socket under a
# temp dir, no networking) and stops it by its PID at the end, failure or
# not. Images are built FROM scratch from local files only: the static
# rinit, busybox, and rinit-testkit's `app`, a service that logs a line per
# signal and exits 0 after flushing on SIGTERM.
#
# Prints a table (scenario, stop seconds, exit code) and "N passed, N failed".
# Run as root: bash tests/e2e/docker.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

suite=e2e
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

# --- what the suite needs ---------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q static || need+=(busybox-static)
command -v python3 >/dev/null || need+=(python3)
command -v file >/dev/null || need+=(file)
install_missing "${need[@]}"
# rinit as it ships: dist/build's x86_64 binary (the test app is a
# development build).
bash dist/build >/dev/null
rinit=$repo/target/dist/rinit-$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)-x86_64-linux-musl
cargo build --locked --release --quiet --manifest-path tests/testkit/Cargo.toml --target-dir target/testkit
app=$repo/target/testkit/release/rinit-testkit

# --- our own dockerd ------------------------------------------------------------
work=$(mktemp -d /tmp/rinit-e2e.XXXXXX)
export DOCKER_HOST=unix://$work/docker.sock
cleanup() {
  local status=$?
  if [ -s "$work/docker.pid" ]; then
    local pid
    pid=$(cat "$work/docker.pid")
    docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # containerd's shims and mounts die with the daemon; the data root goes.
  umount -R "$work" 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
  exit "$status"
}
trap cleanup EXIT INT TERM

say "starting dockerd in $work"
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
  --data-root "$work/data" --exec-root "$work/exec" --pidfile "$work/docker.pid" \
  -H "$DOCKER_HOST" --init-path "$rinit" >"$work/dockerd.log" 2>&1 &
for _ in $(seq 150); do
  docker version >/dev/null 2>&1 && break
  sleep 0.2
done
if ! docker version >/dev/null 2>&1; then
  say "dockerd did not start; the end of its log:"
  tail -n 30 "$work/dockerd.log" >&2
  exit 1
fi

# --- docker info reads the init's version ------------------------------------------
# dockerd runs `<init-path> --version` (here README's recipe: rinit under its
# own name) and parses tini's format; anything else is a warning in its log
# at every `docker info`, and "N/A". Docker 20.10 keeps the "git." part.
init_id=$(docker info --format '{{.InitCommit.ID}}')
say "docker info: init commit $init_id"
check "docker info reads rinit's version line (init commit: $init_id)" [ "$init_id" = rinit ]
check "dockerd logs no failure to read the init's version" bash -c "! grep -q 'failed to [a-z]* $rinit version' '$work/dockerd.log'"

# --- images -------------------------------------------------------------------
# The base holds what every scenario needs, laid out as Dockerfile.example
# lays it out: rinit at /sbin/rinit.
ctx=$work/context
mkdir -p "$ctx/root/bin" "$ctx/root/sbin" "$ctx/root/usr/local/bin"
cp /bin/busybox "$ctx/root/bin/busybox"
for tool in sh ps sleep echo cat grep; do ln -s busybox "$ctx/root/bin/$tool"; done
cp "$rinit" "$ctx/root/sbin/rinit"
# The drop-in recipe: rinit under dumb-init's name.
ln -s rinit "$ctx/root/sbin/dumb-init"
cp "$app" "$ctx/root/usr/local/bin/rinit-testkit"
# `app` as a command of its own, as a real image would have it.
printf '#!/bin/sh\nexec /usr/local/bin/rinit-testkit app "$@"\n' >"$ctx/root/usr/local/bin/app"
chmod +x "$ctx/root/usr/local/bin/app"
printf 'FROM scratch\nCOPY root/ /\nENV PATH=/usr/local/bin:/bin:/sbin\n' >"$ctx/Dockerfile"
# build ARGS...: docker build, quiet unless it fails.
build() {
  docker build -q "$@" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    return 1
  }
}
build -t rinit-e2e-base "$ctx"

# image NAME ENTRYPOINT-LINE: a one-line Dockerfile on top of the base.
image() {
  local dir=$work/image-$1
  mkdir -p "$dir"
  printf 'FROM rinit-e2e-base\nENTRYPOINT %s\n' "$2" >"$dir/Dockerfile"
  build -t "rinit-e2e-$1" "$dir"
}
image shell-form 'app && echo app exited'
image exec-form '["/sbin/rinit", "--", "app"]'
image wrapper '["/sbin/rinit", "--", "sh", "-c", "app 500; echo after"]'
orphan_maker='for i in 1 2 3 4 5 6 7 8; do (sleep 0.2 &); done; exec app'
image orphans "[\"/sbin/rinit\", \"--\", \"sh\", \"-c\", \"$orphan_maker\"]"
image orphans-bare "[\"sh\", \"-c\", \"$orphan_maker\"]"
image plain '["app"]'
image dumb-init '["/sbin/dumb-init", "app"]'

# --- checks and the table ----------------------------------------------------
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# wait_log CONTAINER TEXT: up to 10 s for TEXT in the container's log.
wait_log() {
  for _ in $(seq 100); do
    has_log "$1" "$2" && return 0
    sleep 0.1
  done
  say "no '$2' in the log of $1:"
  docker logs "$1" 2>&1 | sed 's/^/    /' >&2
  return 1
}
# The log is read whole first: `docker logs | grep -q` would fail under
# pipefail whenever grep stops reading early.
has_log() {
  local log
  log=$(docker logs "$1" 2>&1)
  grep -qF -- "$2" <<<"$log"
}
not() { ! "$@"; }
exit_code() { docker inspect -f '{{.State.ExitCode}}' "$1"; }
# stop_seconds CONTAINER TIMEOUT: runs docker stop, prints how long it took.
stop_seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  timeout 60 docker stop -t "$2" "$1" >/dev/null
  t1=$(date +%s.%N)
  echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
}
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
under() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
run() { docker run -d --name "$1" "${@:2}" >/dev/null; }

say "control: shell form, sh -c is PID 1"
run e2e-shell-form rinit-e2e-shell-form
wait_log e2e-shell-form "app: ready"
check "shell form: PID 1 is the shell" test "$(docker exec e2e-shell-form cat /proc/1/comm)" = sh
# What rinit --inspect says inside the container (the image carries rinit
# at /sbin/rinit, unused by its shell-form ENTRYPOINT).
verdict=$(docker exec e2e-shell-form /sbin/rinit --inspect)
check "shell form: --inspect says the kernel drops SIGTERM" grep -q "so the kernel drops it" <<<"$verdict"
secs=$(stop_seconds e2e-shell-form 5)
code=$(exit_code e2e-shell-form)
row "shell form: \`ENTRYPOINT app && …\` (sh is PID 1)" "$secs" "$code"
check "shell form: docker stop waits out its timeout" at_least "$secs" 5
check "shell form: the container is SIGKILLed (137)" test "$code" = 137
check "shell form: the app never hears SIGTERM" not has_log e2e-shell-form "got SIGTERM"

say "exec form under rinit"
run e2e-exec-form rinit-e2e-exec-form
wait_log e2e-exec-form "app: ready"
secs=$(stop_seconds e2e-exec-form 10)
code=$(exit_code e2e-exec-form)
row "\`ENTRYPOINT [\"/sbin/rinit\", \"--\", \"app\"]\`" "$secs" "$code"
check "exec form: docker stop returns in under 2 s" under "$secs" 2
check "exec form: the app's shutdown line is logged" has_log e2e-exec-form "app: flushed, exiting"
check "exec form: the exit code is the app's (0)" test "$code" = 0

say "a wrapper shell that forwards nothing"
run e2e-wrapper-shell rinit-e2e-wrapper
wait_log e2e-wrapper-shell "app: ready"
secs=$(stop_seconds e2e-wrapper-shell 10)
code=$(exit_code e2e-wrapper-shell)
row "\`rinit -- sh -c \"app; echo after\"\` (app flushes for 0.5 s)" "$secs" "$code"
check "wrapper shell: the app got SIGTERM through the group" has_log e2e-wrapper-shell "app: got SIGTERM"
check "wrapper shell: the app's flush finished before the container went" has_log e2e-wrapper-shell "app: flushed, exiting"
check "wrapper shell: docker stop returns in under 3 s" under "$secs" 3
check "wrapper shell: the shell died of SIGTERM (143)" test "$code" = 143

say "docker kill -s USR1 and -s HUP"
run e2e-docker-kill rinit-e2e-exec-form
wait_log e2e-docker-kill "app: ready"
docker kill -s USR1 e2e-docker-kill >/dev/null
check "docker kill: SIGUSR1 reaches the app" wait_log e2e-docker-kill "app: got SIGUSR1"
docker kill -s HUP e2e-docker-kill >/dev/null
check "docker kill: SIGHUP reaches the app" wait_log e2e-docker-kill "app: got SIGHUP"
secs=$(stop_seconds e2e-docker-kill 10)
code=$(exit_code e2e-docker-kill)
row "\`docker kill -s USR1\`, \`-s HUP\`, then stop" "$secs" "$code"
check "docker kill: docker stop returns in under 2 s" under "$secs" 2
check "docker kill: the exit code is the app's (0)" test "$code" = 0

# zombies CONTAINER: how many zombies its ps shows; fails when ps does.
zombies() {
  local states
  states=$(docker exec "$1" ps -o stat,comm) || return 1
  grep -q 'app\|rinit-testkit' <<<"$states" || return 1
  grep -c '^Z' <<<"$states" || true
}

say "control: orphans under an app that is PID 1 and reaps nothing"
run e2e-orphans-bare rinit-e2e-orphans-bare
wait_log e2e-orphans-bare "app: ready"
sleep 1
bare_zombies=$(zombies e2e-orphans-bare)
check "orphans without an init: they stay zombies" test "$bare_zombies" = 8
secs=$(stop_seconds e2e-orphans-bare 10)
code=$(exit_code e2e-orphans-bare)
row "control: 8 orphans, app is PID 1: zombies after 1 s: $bare_zombies" "$secs" "$code"
check "orphans without an init: the app, PID 1 with a handler, stops at once with 0" test "$code" = 0

say "orphans are reaped"
run e2e-orphans-reaped rinit-e2e-orphans
wait_log e2e-orphans-reaped "app: ready"
sleep 1
zombies=$(zombies e2e-orphans-reaped)
check "orphans under rinit: no zombie after the orphans exit" test "$zombies" = 0
secs=$(stop_seconds e2e-orphans-reaped 10)
code=$(exit_code e2e-orphans-reaped)
row "8 orphans under rinit: zombies after 1 s: $zombies" "$secs" "$code"
check "orphans under rinit: docker stop returns in under 2 s" under "$secs" 2
check "orphans under rinit: the exit code is the app's (0)" test "$code" = 0

say "docker run --init with rinit as the engine's init"
run e2e-engine-init --init rinit-e2e-plain
wait_log e2e-engine-init "app: ready"
check "docker run --init: PID 1 is the engine's init" test "$(docker exec e2e-engine-init cat /proc/1/comm)" = docker-init
check "docker run --init: the engine's init is rinit" grep -q '^tini version .*_rinit - git.rinit$' <<<"$(docker exec e2e-engine-init /sbin/docker-init --version 2>/dev/null)"
secs=$(stop_seconds e2e-engine-init 10)
code=$(exit_code e2e-engine-init)
row "\`docker run --init\` (init-path = rinit)" "$secs" "$code"
check "docker run --init: docker stop returns in under 2 s" under "$secs" 2
check "docker run --init: the app's shutdown line is logged" has_log e2e-engine-init "app: flushed, exiting"
check "docker run --init: the exit code is the app's (0)" test "$code" = 0

# interactive NAME IMAGE: runs `docker run -it` on a pty, types Ctrl-C once
# the app is ready; prints "READY GOT_SIGINT GOT_SIGHUP SECONDS EXIT_CODE".
interactive() {
  python3 - "$@" <<'EOF'
import os, pty, select, sys, time
name, image = sys.argv[1:3]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("docker", ["docker", "run", "-it", "--name", name, image])
seen = b""
def wait_for(text, seconds=10):
    global seen
    end = time.time() + seconds
    while text not in seen and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    return text in seen
ready = wait_for(b"app: ready")
start = time.time()
os.write(fd, b"\x03")
got = wait_for(b"app: got SIGINT")
_, status = os.waitpid(pid, 0)
hup = b"got SIGHUP" in seen
print(f"{int(ready)} {int(got)} {int(hup)} {time.time() - start:.2f} {os.waitstatus_to_exitcode(status)}")
EOF
}

say "docker run -it: Ctrl-C reaches the app"
read -r ready got hup secs code <<<"$(interactive e2e-terminal rinit-e2e-exec-form)"
check "docker run -it: the app started on a terminal" test "$ready" = 1
check "docker run -it: Ctrl-C reached the app" test "$got" = 1
check "docker run -it: the container ended with the app's exit code (0)" test "$code" = 0
row "\`docker run -it\`, Ctrl-C (seconds from Ctrl-C to exit)" "$secs" "$code"

say "as dumb-init, docker run -it: the app takes the terminal"
read -r ready got hup secs code <<<"$(interactive e2e-dumb-init-terminal rinit-e2e-dumb-init)"
check "dumb-init, docker run -it: the app started on a terminal" test "$ready" = 1
check "dumb-init, docker run -it: Ctrl-C reached the app in its own session" test "$got" = 1
check "dumb-init, docker run -it: the hang-up from letting go of the terminal never reached the app" test "$hup" = 0
check "dumb-init, docker run -it: the container ended with the app's exit code (0)" test "$code" = 0
row "\`ENTRYPOINT [\"/sbin/dumb-init\", \"app\"]\` (a symlink to rinit), \`-it\`, Ctrl-C" "$secs" "$code"

# killed_event CONTAINER: the JSON event of the command's death, or nothing.
killed_event() { docker logs "$1" 2>&1 | grep '"event":"killed"' || true; }

say "--memory 48m: the OOM killer's SIGKILL is named as such"
docker run --name e2e-oom --memory 48m --memory-swap 48m rinit-e2e-base \
  /sbin/rinit --log-format json -- rinit-testkit hog >/dev/null 2>&1 || true
code=$(exit_code e2e-oom)
event=$(killed_event e2e-oom)
row "\`--memory 48m\`, the command touches memory until killed" "" "$code"
check "the OOM killer: the container exits 137" test "$code" = 137
check "the OOM killer: the death event says \"oom\": true" grep -q '"oom":true' <<<"$event"
check "the OOM killer: the line names the OOM killer and the 48 MiB limit" grep -q "the kernel's OOM killer sent it (memory limit 48.0 MiB" <<<"$event"

say "--memory 48m and a kill -9: not the OOM killer, and said so"
docker run --name e2e-not-oom --memory 48m --memory-swap 48m rinit-e2e-base \
  /sbin/rinit -- sh -c 'kill -9 $$' >/dev/null 2>&1 || true
docker run --name e2e-not-oom-json --memory 48m --memory-swap 48m rinit-e2e-base \
  /sbin/rinit --log-format json -- sh -c 'kill -9 $$' >/dev/null 2>&1 || true
code=$(exit_code e2e-not-oom)
line=$(docker logs e2e-not-oom 2>&1)
row "\`--memory 48m\`, the command \`kill -9\`s itself" "" "$code"
check "kill -9, not the OOM killer: the container exits 137" test "$code" = 137
check "kill -9, not the OOM killer: the death event says \"oom\": false" grep -q '"oom":false' <<<"$(killed_event e2e-not-oom-json)"
check "kill -9, not the OOM killer: the line says not the OOM killer" grep -q "killed by SIGKILL from outside rinit: not the OOM killer" <<<"$line"
check "kill -9, not the OOM killer: the line offers no OOM guess" not grep -q "OOM killer sent\|the OOM killer or" <<<"$line"

echo
echo "| scenario | stop seconds | exit code |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
