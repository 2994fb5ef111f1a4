#!/usr/bin/env bash
# End-to-end: the story rinit exists for, with the real stack, in three
# engines. A FastAPI app run by gunicorn with uvicorn workers (tests/e2e/app)
# is stopped by Docker (`docker stop`), podman (`podman stop`) and containerd
# (`ctr task kill` SIGTERM, the grace period, then SIGKILL: what the kubelet
# does on `kubectl delete pod`), as the shell form the seed shipped and
# under rinit.
#
# The image is built from local files only: FROM scratch with rinit and the
# app, and with the host's /usr (Debian's dash as /bin/sh, Debian's Python)
# and a venv of gunicorn, uvicorn and fastapi from PyPI bind-mounted
# read-only. Every engine runs privately (own root, state and socket under a
# temp dir) with no network but loopback: the clients enter the container's
# network namespace with nsenter. Each daemon is stopped by its PID at the
# end, failure or not, and every container and mount goes with it.
#
# Prints a table (engine, scenario, stop seconds, exit code, requests failed
# during the stop, what the logs show) and "engines: N passed, N failed";
# an engine that cannot start is "skipped: why". Fails when every engine was
# skipped. Run as root: bash tests/e2e/engines.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

suite=engines
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

# --- what the suite needs -------------------------------------------------------
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
command -v podman >/dev/null || need+=(podman)
command -v nsenter >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || need+=(python3-venv)
install_missing "${need[@]}" || true
# rinit as it ships: dist/build's x86_64 binary.
bash dist/build >/dev/null
rinit=$repo/target/dist/rinit-$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)-x86_64-linux-musl

# --- the app's Python: Debian's, with a venv kept between runs ----------------------
pins="gunicorn==23.0.0 uvicorn==0.32.1 fastapi==0.115.6"
venv=/var/cache/rinit-e2e/venv-$(echo "$pins" | sha256sum | cut -c1-12)
if [ ! -x "$venv/bin/gunicorn" ]; then
  say "making $venv ($pins)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  /usr/bin/python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q $pins
fi

work=$(mktemp -d /tmp/rinit-engines.XXXXXX)
pids=()
cleanup() {
  local status=$?
  set +e
  if [ -S "$work/docker.sock" ]; then
    DOCKER_HOST=unix://$work/docker.sock docker ps -aq | xargs -r env DOCKER_HOST=unix://$work/docker.sock docker rm -f >/dev/null 2>&1
  fi
  if [ -d "$work/podman" ]; then
    podman_ rm -af -t 0 >/dev/null 2>&1
  fi
  if [ -S "$work/containerd/containerd.sock" ]; then
    for id in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s SIGKILL "$id" >/dev/null 2>&1; done
    sleep 0.5
    for id in $(ctr_ task ls -q 2>/dev/null); do ctr_ task delete -f "$id" >/dev/null 2>&1; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1; done
  fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  # Anything left of ours (a client, a shim): it lives under $work.
  pkill -KILL -f "$work" 2>/dev/null
  umount -R "$work" 2>/dev/null
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" 2>/dev/null
  exit "$status"
}
trap cleanup EXIT INT TERM

# --- the image --------------------------------------------------------------------
# Merged /usr like the host: /bin, /lib, /lib64 point into the mounted /usr.
root=$work/rootfs
mkdir -p "$root"/{usr,sbin,app,tmp,proc,sys,dev,etc,run,var/cache}
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
cp "$rinit" "$root/sbin/rinit"
cp tests/e2e/app/app.py tests/e2e/app/worker.py "$root/app/"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
tar -C "$root" -cf "$work/rootfs.tar" .
image=rinit-e2e-gunicorn:latest
path_env="PATH=$venv/bin:/usr/local/bin:/usr/bin:/bin"

# The command of every scenario, as the seed's Dockerfile had it.
gunicorn="gunicorn -w 1 -k uvicorn.workers.UvicornWorker --bind 0.0.0.0:80 --chdir /app app:app"

# --- engines: start, run, stop, status, logs ------------------------------------------
# Each engine answers: ENGINE_start (or says why it cannot), ENGINE_run NAME
# [--init] -- COMMAND..., ENGINE_pid NAME, ENGINE_stop NAME (the engine's
# own stop, with its default deadline), ENGINE_status NAME, ENGINE_logs NAME.

docker_() { DOCKER_HOST=unix://$work/docker.sock docker "$@"; }
docker_start() {
  dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
    --data-root "$work/docker" --exec-root "$work/docker-exec" --pidfile "$work/docker.pid" \
    -H "unix://$work/docker.sock" --init-path "$rinit" >"$work/dockerd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do docker_ version >/dev/null 2>&1 && break; sleep 0.2; done
  docker_ version >/dev/null 2>&1 || { why="dockerd did not start: $(tail -n 1 "$work/dockerd.log")"; return 1; }
  docker_ import -c "ENV $path_env" -c "WORKDIR /app" "$work/rootfs.tar" "$image" >/dev/null
  docker_ save -o "$work/image.tar" "$image"
}
docker_run() {
  local name=$1 init=()
  shift
  [ "$1" = --init ] && init=(--init) && shift
  [ "$1" = --env ] && init+=(--env "$2") && shift 2
  shift # --
  docker_ run -d --name "$name" --network none "${init[@]}" \
    -v /usr:/usr:ro -v "$venv:$venv:ro" "$image" "$@" >/dev/null
}
docker_pid() { docker_ inspect -f '{{.State.Pid}}' "$1"; }
docker_stop() { docker_ stop "$1" >/dev/null; } # its default: 10 s, then SIGKILL
docker_status() { docker_ wait "$1"; }
docker_logs() { docker_ logs "$1" 2>&1; }

# podman's default RLIMIT_NOFILE cannot be set here: every container, a
# pod's infra one too (`pod create` takes no --ulimit), gets these instead.
podman_() {
  CONTAINERS_CONF=$work/podman/containers.conf \
    podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
podman_start() {
  mkdir -p "$work/podman"
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$work/podman/containers.conf"
  podman_ info >"$work/podman-info.log" 2>&1 || { why="podman cannot run here: $(tail -n 1 "$work/podman-info.log")"; return 1; }
  [ -s "$work/image.tar" ] || podman_ import -q -c "ENV $path_env" -c "WORKDIR /app" "$work/rootfs.tar" "$image" >/dev/null
  [ -s "$work/image.tar" ] && podman_ load -q -i "$work/image.tar" >/dev/null
  [ -s "$work/image.tar" ] || podman_ save -q --format docker-archive -o "$work/image.tar" "$image"
  podman_image=$(podman_ images -q | head -n 1)
}
podman_run() {
  local name=$1 init=()
  shift
  # podman's init runs as /run/podman-init -- COMMAND.
  [ "$1" = --init ] && init=(--init --init-path "$rinit") && shift
  shift # --
  podman_ run -d --name "$name" --network none "${init[@]}" \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    -v /usr:/usr:ro -v "$venv:$venv:ro" "$podman_image" "$@" >/dev/null
}
podman_pid() { podman_ inspect -f '{{.State.Pid}}' "$1"; }
podman_stop() { podman_ stop "$1" >/dev/null; } # its default: 10 s, then SIGKILL
podman_status() { podman_ wait "$1"; }
podman_logs() { podman_ logs "$1" 2>&1; }

containerd_start() {
  containerd_up rinit-e2e || { why="containerd did not start: $(tail -n 1 "$work/containerd.log")"; return 1; }
  [ -s "$work/image.tar" ] || { why="no image: neither docker nor podman could build it"; return 1; }
  ctr_ images import -q "$work/image.tar" >/dev/null 2>&1 || ctr_ images import "$work/image.tar" >/dev/null
  ctr_image=$(ctr_ images ls -q | grep rinit-e2e-gunicorn | head -n 1)
}
containerd_run() {
  local name=$1
  shift
  shift # --
  # In the foreground, in the background: ctr run exits with the task's status.
  ctr_ run --rm --env "$path_env" --cwd /app \
    --mount "type=bind,src=/usr,dst=/usr,options=rbind:ro" \
    --mount "type=bind,src=$venv,dst=$venv,options=rbind:ro" \
    "$ctr_image" "$name" "$@" </dev/null >"$work/$name.log" 2>&1 &
  echo $! >"$work/$name.ctr"
  for _ in $(seq 100); do containerd_pid "$name" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
containerd_pid() {
  local pid
  pid=$(ctr_ task ls 2>/dev/null | awk -v n="$1" '$1 == n && $3 == "RUNNING" {print $2}')
  [ -n "$pid" ] && echo "$pid"
}
# What the kubelet does on `kubectl delete pod`: SIGTERM, the grace period
# (terminationGracePeriodSeconds, 30 s by default), then SIGKILL.
containerd_stop() {
  local ctr_pid
  ctr_pid=$(cat "$work/$1.ctr")
  ctr_ task kill -s SIGTERM "$1" >/dev/null
  for _ in $(seq 300); do kill -0 "$ctr_pid" 2>/dev/null || return 0; sleep 0.1; done
  ctr_ task kill -s SIGKILL "$1" >/dev/null
  for _ in $(seq 100); do kill -0 "$ctr_pid" 2>/dev/null || return 0; sleep 0.1; done
}
containerd_status() {
  local status=0
  wait "$(cat "$work/$1.ctr")" || status=$?
  echo "$status"
}
containerd_logs() { cat "$work/$1.log"; }

# --- scenarios ------------------------------------------------------------------------
skipped=()
rows=()

# In the container's network namespace, as a client next to it would be;
# the app on port $app_port.
app_port=80
client() { APP_PORT=$app_port nsenter --target "$pid" --net "$venv/bin/python" "$repo/tests/e2e/app/client.py" "$@"; }

# scenario ENGINE NAME IN-FLIGHT [--init] -- COMMAND...: starts it, waits for
# the app, sends 2 s of load (and with IN-FLIGHT=1 a /slow request first),
# stops it the engine's way, and leaves stop seconds, exit code, the /slow
# status, the load's failures and the logs in $stop $code $slow $load $logs.
scenario() {
  local engine=$1 name=$2 in_flight=$3
  shift 3
  "${engine}_run" "$name" "$@"
  pid=$("${engine}_pid" "$name")
  # Engines without a network leave loopback down in the new namespace.
  nsenter --target "$pid" --net ip link set lo up
  client wait
  echo "-" >"$work/$name.slow"
  local slow_pid=""
  if [ "$in_flight" = 1 ]; then
    client slow >"$work/$name.slow" 2>&1 &
    slow_pid=$!
  fi
  client load 2 >"$work/$name.load" 2>&1 &
  local load_pid=$!
  sleep 0.2
  local t0 t1
  t0=$(date +%s.%N)
  "${engine}_stop" "$name"
  code=$("${engine}_status" "$name")
  t1=$(date +%s.%N)
  stop=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  wait $slow_pid "$load_pid" || true
  slow=$(cat "$work/$name.slow")
  load=$(sed -n 's/^sent [0-9]* failed \([0-9]*\)$/\1/p' "$work/$name.load")
  logs=$("${engine}_logs" "$name")
  printf '%s\n' "$logs" >"$work/$name.out"
}

graceful() { # the logs show gunicorn's whole graceful shutdown
  grep -q "Handling signal: term" <<<"$logs" &&
    grep -q "Application shutdown complete" <<<"$logs" &&
    grep -q "Shutting down: Master" <<<"$logs"
}
shown() { # what the logs show, for the table
  if graceful; then echo "graceful: Handling signal: term, Application shutdown complete, Shutting down: Master"
  elif grep -q "Handling signal: term" <<<"$logs"; then echo "SIGTERM handled, shutdown incomplete"
  else echo "no SIGTERM ever reached gunicorn"; fi
}
row() { rows+=("| $1 | $2 | $stop | $code | $load | $slow | $3 |"); }
fast() { awk -v s="$stop" -v m="$1" 'BEGIN { exit !(s < m) }'; }
slow_as() { awk -v s="$stop" -v m="$1" 'BEGIN { exit !(s >= m) }'; }

run_engine() {
  local e=$1 deadline=$2 n=0
  local name
  next() { n=$((n + 1)); name=$e-$n; }

  next
  scenario "$e" "$name" 0 -- /bin/sh -c "$gunicorn"
  row "$e" "shell form: \`sh -c\` is PID 1" "$(shown)"
  check "$e shell form: the stop waits out the engine's ${deadline}s deadline ($stop s)" slow_as $((deadline - 1))
  check "$e shell form: exit 137" [ "$code" = 137 ]
  check "$e shell form: gunicorn never handles SIGTERM" bash -c "! grep -q 'Handling signal: term' '$work/$name.out'"

  next
  scenario "$e" "$name" 0 -- /sbin/rinit -- $gunicorn
  row "$e" "\`rinit -- gunicorn ...\`, 2 s of requests during the stop" "$(shown)"
  check "$e exec form: graceful shutdown in the logs" graceful
  check "$e exec form: exit 0" [ "$code" = 0 ]
  check "$e exec form: stopped in well under a second ($stop s)" fast 1
  local without_delay=$load

  next
  scenario "$e" "$name" 1 -- /sbin/rinit -- $gunicorn
  row "$e" "\`rinit -- gunicorn ...\`, a request to /slow (1 s) in flight" "$(shown)"
  check "$e in flight: the request in flight completes with 200" [ "$slow" = 200 ]
  check "$e in flight: graceful, exit 0" bash -c "[ '$code' = 0 ] && grep -q 'Shutting down: Master' '$work/$name.out'"

  next
  scenario "$e" "$name" 0 -- /sbin/rinit --stop-delay 3s -- $gunicorn
  row "$e" "\`rinit --stop-delay 3s -- gunicorn ...\`, 2 s of requests during the stop" "$(shown)"
  check "$e stop-delay: with --stop-delay 3s no request fails ($without_delay failed in the exec form without it)" [ "$load" = 0 ]
  check "$e stop-delay: graceful, exit 0" bash -c "[ '$code' = 0 ] && grep -q 'Shutting down: Master' '$work/$name.out'"

  # The wrapper shell has no SIGTERM handler: the relayed SIGTERM ends it
  # (143, its status) while gunicorn, in its group, shuts down gracefully.
  next
  scenario "$e" "$name" 0 -- /sbin/rinit -- /bin/sh -c "$gunicorn"
  row "$e" "\`rinit -- sh -c \"gunicorn ...\"\` (the unchanged shell form)" "$(shown)"
  check "$e wrapper shell: graceful through the wrapper shell" graceful
  check "$e wrapper shell: stopped in well under a second ($stop s)" fast 1
  check "$e wrapper shell: exit 143, the wrapper shell's" [ "$code" = 143 ]

  next
  scenario "$e" "$name" 0 -- /sbin/rinit -- /bin/sh -c "python3 /app/worker.py & $gunicorn"
  row "$e" "the same wrapper shell with a background worker that needs 1 s to flush" "$(grep -q 'worker: flushed' "$work/$name.out" && echo 'worker: flushed' || echo 'worker lost its data')"
  check "$e background worker: the background worker flushed before the container was gone" grep -q "worker: flushed" "$work/$name.out"
  check "$e background worker: graceful, exit 143 (the wrapper shell's)" bash -c "[ '$code' = 143 ] && grep -q 'Shutting down: Master' '$work/$name.out'"

  # No shell for $PORT: the port Cloud Run or Heroku hands over, expanded by
  # rinit from the container's environment.
  if [ "$e" = docker ]; then
    next
    app_port=8123
    # shellcheck disable=SC2016
    scenario "$e" "$name" 0 --env PORT=8123 -- /sbin/rinit --expand -- \
      gunicorn -w 1 -k uvicorn.workers.UvicornWorker --bind '0.0.0.0:${PORT:-8000}' --chdir /app app:app
    app_port=80
    row "$e" "\`rinit --expand -- gunicorn --bind '0.0.0.0:\${PORT:-8000}' ...\`, \`-e PORT=8123\`" "$(shown)"
    check "$e expand: gunicorn listened on \$PORT, 8123" grep -q "Listening at: http://0.0.0.0:8123" "$work/$name.out"
    check "$e expand: graceful, exit 0" bash -c "[ '$code' = 0 ] && grep -q 'Shutting down: Master' '$work/$name.out'"
    check "$e expand: stopped in well under a second ($stop s)" fast 1
  fi

  if [ "$e" != containerd ]; then
    next
    scenario "$e" "$name" 0 --init -- /bin/sh -c "$gunicorn"
    row "$e" "\`$e run --init\` (rinit as the engine's init) in front of the shell form" "$(shown)"
    check "$e --init: graceful" graceful
    check "$e --init: exit 143 (the wrapper shell's)" [ "$code" = 143 ]
  fi
}

# --- the engines' init slots ------------------------------------------------------------
# zombies_in PID: how many zombies share the PID namespace of process PID
# ("unknown" when that process is not there).
zombies_in() {
  local ns n=0 p
  ns=$(readlink "/proc/$1/ns/pid") || { echo unknown; return; }
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    awk '$1 == "State:" && $2 == "Z" {found=1} END {exit !found}' "$p/status" 2>/dev/null && n=$((n + 1))
  done
  echo "$n"
}
# same_pid_ns PID PID: both processes are there and share a PID namespace.
same_pid_ns() {
  local a b
  a=$(readlink "/proc/$1/ns/pid") && b=$(readlink "/proc/$2/ns/pid") && [ "$a" = "$b" ]
}
# An app that leaves an orphan in the shared PID namespace: the subshell
# exits at once, its sleep is adopted by the namespace's PID 1 and exits.
orphaning_app="(sleep 0.5 &); sleep 60"

# podman 5 runs init_path (symlinks resolved) as '/<its name> -P', the infra
# container of every pod; podman 4.3 runs the same when asked for it.
podman_slots() {
  # A failure here is counted by the checks below, not fatal to the suite.
  podman_ pod create --name rinit-pod --share pid,ipc,uts --infra-image "$podman_image" \
    --infra-command '/sbin/rinit -P' >/dev/null || true
  podman_ pod start rinit-pod >/dev/null || true
  local infra infra_pid t0 t1
  infra=$(podman_ pod inspect -f '{{.InfraContainerID}}' rinit-pod || true)
  podman_ run -d --pod rinit-pod --name rinit-pod-app \
    -v /usr:/usr:ro "$podman_image" /bin/sh -c "$orphaning_app" >/dev/null || true
  sleep 1.5
  infra_pid=$(podman_ inspect -f '{{.State.Pid}}' "$infra" || echo 0)
  check "podman pod: the infra container runs /sbin/rinit -P" \
    bash -c "[ '$(podman_ inspect -f '{{.State.Status}}' "$infra")' = running ] && tr '\\0' ' ' </proc/$infra_pid/cmdline | grep -q '^/sbin/rinit -P'"
  check "podman pod: the app shares the infra's PID namespace" \
    same_pid_ns "$(podman_pid rinit-pod-app || echo 0)" "$infra_pid"
  check "podman pod: the app's orphan was reaped by the infra container" [ "$(zombies_in "$infra_pid")" = 0 ]
  t0=$(date +%s.%N)
  podman_ pod stop -t 10 rinit-pod >/dev/null || true
  t1=$(date +%s.%N)
  stop=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  code=$(podman_ inspect -f '{{.State.ExitCode}}' "$infra" || echo -)
  row podman "pod: infra \`/sbin/rinit -P\`, an app sharing its PID namespace, \`podman pod stop\`" "infra exit $code"
  check "podman pod: the infra container exits 0 on the stop" [ "$code" = 0 ]
  check "podman pod: the pod stops at once ($stop s)" fast 2
  podman_ pod rm -f rinit-pod >/dev/null || true

  # podman's own signal test (test/system/130-kill.bats) under --init:
  # each signal by number, then by name, reaches the trapping shell, which
  # still finishes (a SIGTSTP to its whole group would freeze it).
  local numbers="1 2 3 4 5 6 8 10 12 13 14 15 16 20 21 22 23 24 25 26 64"
  local names="HUP INT QUIT ILL TRAP ABRT FPE USR1 USR2 PIPE ALRM TERM STKFLT TSTP TTIN TTOU URG XCPU XFSZ VTALRM RTMAX"
  local traps="" n
  for n in $numbers; do traps="$traps trap 'echo got: $n' $n;"; done
  podman_ run -d --name rinit-kill --init --init-path "$rinit" -v /usr:/usr:ro "$podman_image" \
    /bin/sh -c "$traps echo READY; while ! test -e /tmp/stop; do sleep 0.1; done; echo DONE" >/dev/null || true
  wait_logs() { # wait_logs TEXT COUNT: TEXT appears COUNT times in the logs
    for _ in $(seq 100); do [ "$(podman_ logs rinit-kill 2>&1 | grep -cx "$1")" -ge "$2" ] && return 0; sleep 0.05; done
    return 1
  }
  local lost="" name
  wait_logs READY 1 || lost="READY"
  for n in $numbers; do
    podman_ kill -s "$n" rinit-kill >/dev/null || true
    wait_logs "got: $n" 1 || lost="$lost $n"
  done
  set -- $numbers
  for name in $names; do
    podman_ kill -s "$name" rinit-kill >/dev/null || true
    wait_logs "got: $1" 2 || lost="$lost $name"
    shift
  done
  podman_ exec rinit-kill /usr/bin/touch /tmp/stop || true
  wait_logs DONE 1 || lost="$lost DONE"
  # A frozen container would never end by itself.
  [ -z "$lost" ] || podman_ kill -s KILL rinit-kill >/dev/null 2>&1 || true
  code=$(podman_ wait rinit-kill || echo -)
  stop=-
  row podman "\`podman run --init --init-path rinit\`: podman's signal test, 21 signals by number and by name" "${lost:-every signal seen, DONE}"
  check "podman --init: every signal reached the shell and it finished (missing:${lost:- none})" [ -z "$lost" ]
  check "podman --init: exit 0" [ "$code" = 0 ]
}

# The Kubernetes pause slot, as the kubelet uses it through containerd: a
# sandbox container running `/sbin/rinit -P`, an app joined to its PID
# namespace (shareProcessNamespace: true), SIGTERM to the sandbox.
containerd_slots() {
  containerd_run rinit-sandbox -- /sbin/rinit -P || true
  local sandbox_pid
  sandbox_pid=$(containerd_pid rinit-sandbox || echo 0)
  ctr_ run --rm --with-ns "pid:/proc/$sandbox_pid/ns/pid" \
    --mount "type=bind,src=/usr,dst=/usr,options=rbind:ro" \
    "$ctr_image" rinit-sandbox-app /bin/sh -c "$orphaning_app" </dev/null >/dev/null 2>&1 &
  local app_ctr=$!
  sleep 1.5
  check "containerd sandbox: the app shares the sandbox's PID namespace" \
    same_pid_ns "$(containerd_pid rinit-sandbox-app || echo 0)" "$sandbox_pid"
  check "containerd sandbox: the app's orphan was reaped by the sandbox" [ "$(zombies_in "$sandbox_pid")" = 0 ]
  ctr_ task kill -s SIGKILL rinit-sandbox-app >/dev/null || true
  wait "$app_ctr" || true
  local t0 t1
  t0=$(date +%s.%N)
  containerd_stop rinit-sandbox
  code=$(containerd_status rinit-sandbox)
  t1=$(date +%s.%N)
  stop=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  row containerd "pause slot: sandbox \`/sbin/rinit -P\`, an app in its PID namespace, SIGTERM to the sandbox" "sandbox exit $code"
  check "containerd sandbox: exit 0 on SIGTERM" [ "$code" = 0 ]
  check "containerd sandbox: stops at once ($stop s)" fast 2
}
docker_slots() { :; } # docker info: tests/e2e/docker.sh

# engine, its default stop deadline in seconds
for pair in docker:10 podman:10 containerd:30; do
  e=${pair%%:*}
  why=""
  if "${e}_start"; then
    say "$e: running the scenarios"
    run_engine "$e" "${pair##*:}"
    say "$e: its init slots"
    load=- slow=-
    "${e}_slots"
  else
    skipped+=("$e (${why:-could not start})")
    say "$e: skipped: ${why:-could not start}"
    rows+=("| $e | skipped: ${why:-could not start} | | | | | |")
  fi
done

echo
echo "| engine | scenario | stop, s | exit | requests failed during the stop | /slow in flight | logs |"
echo "|---|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
summary="engines: $passed passed, $failed failed"
((${#skipped[@]})) && summary="$summary; skipped: $(IFS=';'; echo "${skipped[*]}")"
echo "$summary"
if [ "${#skipped[@]}" -eq 3 ]; then
  say "every engine was skipped"
  exit 1
fi
[ "$failed" -eq 0 ]
