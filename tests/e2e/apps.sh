#!/usr/bin/env bash
# End-to-end: real applications nobody here wrote, stopped as `docker stop`
# stops them and, for nginx, reloaded with HUP, under rinit's recipes
# (docs/recipes.md) and, side by side, the shell form (Debian's dash as
# PID 1), tini, dumb-init and catatonit.
#
# Each run is PID 1 of a new PID namespace (`unshare --pid --fork
# --mount-proc --kill-child`, started with `env --default-signal`: a
# background job of a script starts with SIGINT and SIGQUIT ignored, and
# an init hands an ignored signal on as ignored), in a network namespace of
# the suite's own, so port 8080 on its loopback clashes with nothing.
# tests/e2e/apps/load.py keeps 8 clients of 1 s requests going. The stop is
# docker's: SIGTERM from outside to the namespace's PID 1, SIGKILL 10 s
# later if it is still there. A request in flight (or accepted) that does
# not end in 200 is failed; once a connect is refused the client stops, as
# a load balancer that has taken the endpoint out: a refused connect after
# the stop is not a request.
#
#   nginx alone: 1 s is a 48 KiB file at 32 KiB/s (limit_rate)
#   nginx + php-fpm: `php-fpm8.2 -D; exec nginx`, /slow a PHP sleep(1);
#     HUP under load, then the stop
#   Node behind npm (`npm run start`; npm's script shell dash, then bash)
#     and node directly: server.js drains on the first SIGTERM and exits at
#     once (2) on a second
#   the JVM (`java Server.java`, only when java is here): SIGQUIT under
#     load (a thread dump, it goes on), then the stop
#
# Prints a table (app, init, reload and stop as failed/total, requests in
# flight at the stop, exit status, seconds to exit, what else was seen).
# Rows marked * are rinit's recipes: they must lose nothing (and exit as
# the table's header says); every other row is printed, not checked.
# Prints "apps: N passed, N failed" and fails when a check did.
# rinit is dist/build's x86_64 binary, what ships, or RINIT_TEST_BINARY.
# RINIT_APPS_ONLY=REGEX runs what it matches in "APP under INIT"; RINIT_APPS_LOGS=1 prints
# each run's output (rinit's -v lines among it); RINIT_APPS_KEEP=DIR keeps
# the runs' files (outputs, requests, nginx's and php-fpm's logs) there.
# Run as root: bash tests/e2e/apps.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

suite=apps
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

# --- what the suite needs -------------------------------------------------------
need=()
command -v nginx >/dev/null || need+=(nginx-light)
command -v php-fpm8.2 >/dev/null || need+=(php8.2-fpm)
# Node and npm from Debian only when missing: Debian's npm conflicts with
# NodeSource's nodejs, which brings its own npm.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v tini >/dev/null || need+=(tini)
command -v dumb-init >/dev/null || need+=(dumb-init)
command -v catatonit >/dev/null || need+=(catatonit)
command -v nsenter >/dev/null || need+=(util-linux)
command -v ip >/dev/null || need+=(iproute2)
[ -x /usr/bin/python3 ] || need+=(python3)
install_missing "${need[@]}"
py=/usr/bin/python3

if [ -n "${RINIT_TEST_BINARY:-}" ]; then
  rinit=$RINIT_TEST_BINARY
else
  bash dist/build >/dev/null
  rinit=$repo/target/dist/rinit-$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)-x86_64-linux-musl
fi
say "rinit: $rinit"

apps=$repo/tests/e2e/apps
# rinit's -v lines in each run's output (RINIT_APPS_LOGS=1 prints them):
# options win over it, and the invocations stay as users write them.
export RINIT_VERBOSITY=1
port=8080
clients=8
work=$(mktemp -d /tmp/rinit-apps.XXXXXX)
# nginx's workers and php-fpm's pool run as nobody: they read from here.
chmod 755 "$work"
holder=
ns=
cleanup() {
  local status=$?
  set +e
  # PID 1 of a run, then unshare (--kill-child): the namespace dies with
  # everything in it, daemons too; then the network namespace's holder.
  [ -n "$ns" ] && pkill -KILL -P "$ns"
  [ -n "$ns" ] && kill -KILL "$ns"
  [ -n "$holder" ] && kill -KILL "$holder"
  pkill -KILL -f "$work"
  wait 2>/dev/null
  # Every run's output, requests and the daemons' logs, to look at.
  [ -z "${RINIT_APPS_KEEP:-}" ] || cp -a "$work/." "$RINIT_APPS_KEEP"
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT INT TERM

# The network namespace: its loopback up, held by a sleep that dies with
# this script (and everything below is started with the same death signal).
setpriv --pdeathsig KILL -- unshare --net -- sh -c 'ip link set lo up && exec sleep infinity' &
holder=$!
disown "$holder" # (or bash says "Killed" when the cleanup kills it)
for _ in $(seq 100); do
  [ "$(readlink "/proc/$holder/ns/net")" != "$(readlink /proc/self/ns/net)" ] && nsenter --net="/proc/$holder/ns/net" ip -o link show lo | grep -q UP && break
  sleep 0.05
done
innet() { setpriv --pdeathsig KILL -- nsenter --net="/proc/$holder/ns/net" -- "$@"; }

# --- one run ---------------------------------------------------------------------
# descendants PID: every process below PID, one "pid args" a line.
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" || true); do
    ps -o pid=,args= -p "$child" || true
    descendants "$child"
  done
}
# pids_of PATTERN: the pids among PID 1's descendants whose args match.
pids_of() { descendants "$pid1" | awk -v re="$1" '$0 ~ re { print $1 }' | sort -n | tr '\n' ' '; }

rows=()
runs=0
# run APP INIT REQUIRED DIR CMD...: CMD as PID 1 of a new PID namespace,
# started in DIR; load; with hup=1 a HUP to PID 1 under load (nginx's
# workers must change, php-fpm's master must not); with quit=1 a QUIT
# (a thread dump in the output, and it still answers); then docker's stop.
# REQUIRED is - or the exit status rinit's recipe must give; with it, 0
# failed and each of the checks above are required.
run() {
  local app=$1 init=$2 required=$3 dir=$4
  shift 4
  [[ "$app under $init" =~ ${RINIT_APPS_ONLY:-.} ]] || return 0
  runs=$((runs + 1))
  local log=$work/run-$runs.log out=$work/run-$runs.requests notes=() t_hup=
  (cd "$dir" && exec setpriv --pdeathsig KILL -- nsenter --net="/proc/$holder/ns/net" -- \
    env --default-signal unshare --pid --fork --mount-proc --kill-child -- "$@") >"$log" 2>&1 &
  ns=$!
  pid1=
  for _ in $(seq 200); do
    pid1=$(ps -o pid= --ppid "$ns" | tr -d ' ' || true)
    [ -n "$pid1" ] && break
    # unshare gone already (a zombie until waited for): nothing started.
    [[ $(ps -o stat= -p "$ns" || true) == [^Z]* ]] || break
    sleep 0.05
  done
  local mark=" "
  [ "$required" = - ] || mark="*"
  if [ -z "$pid1" ] || ! innet "$py" "$apps/load.py" wait "$port" "$pid1"; then
    say "$app under $init never answered; its output:"
    sed 's/^/    /' "$log" >&2
    rows+=("$app|$mark $init|$stopsig|-|-|-|-|-|did not start")
    [ "$required" = - ] || check "$app under $init starts and answers" false
    kill -KILL "$pid1" 2>/dev/null || true
    wait "$ns" 2>/dev/null || true
    ns=
    return 0
  fi
  innet "$py" "$apps/load.py" run "$port" "$clients" "$out" &
  local load=$!
  # Every client has started (the last 7/8 s in) and has a request in flight.
  sleep 1.3
  if ((hup)); then
    local workers fpm
    workers=$(pids_of '^ *[0-9]+ nginx: worker')
    fpm=$(pids_of '^ *[0-9]+ php-fpm: master')
    t_hup=$EPOCHREALTIME
    kill -HUP "$pid1" || true
    sleep 2
    local workers_after fpm_after reloaded=no
    workers_after=$(pids_of '^ *[0-9]+ nginx: worker')
    fpm_after=$(pids_of '^ *[0-9]+ php-fpm: master')
    for w in $workers_after; do [[ " $workers " == *" $w "* ]] || reloaded=yes; done
    local kept=no
    [ -n "$fpm" ] && [ "$fpm" = "$fpm_after" ] && kept=yes
    notes+=("HUP: nginx reloaded $reloaded, php-fpm master kept $kept")
    if [ "$required" != - ]; then
      check "$app under $init: HUP reloads nginx (workers $workers-> $workers_after)" [ "$reloaded" = yes ]
      check "$app under $init: HUP leaves php-fpm's master its pid ($fpm-> $fpm_after)" [ "$kept" = yes ]
    fi
  fi
  if ((quit)); then
    kill -QUIT "$pid1" || true
    sleep 1
    local dump=no answers=no
    grep -q '^Full thread dump' "$log" && dump=yes
    [ "$(innet "$py" "$apps/load.py" get "$port")" = 200 ] && answers=yes
    notes+=("QUIT: thread dump $dump, still answers $answers")
    if [ "$required" != - ]; then
      check "$app under $init: QUIT prints a thread dump" [ "$dump" = yes ]
      check "$app under $init: QUIT does not stop it" [ "$answers" = yes ]
    fi
  fi
  # docker stop: the image's STOPSIGNAL (SIGTERM unless it says), SIGKILL
  # 10 s later.
  local t_stop=$EPOCHREALTIME killed=
  kill -"$stopsig" "$pid1" || true # (gone already: the table says how)
  while kill -0 "$pid1" 2>/dev/null; do
    if [ -z "$killed" ] && (($(date +%s%N) / 1000000 - ${t_stop/./} / 1000 >= 10000)); then
      kill -KILL "$pid1" 2>/dev/null || true
      killed=1
      notes+=("SIGKILLed after 10 s")
    fi
    sleep 0.02
  done
  local t_exit=$EPOCHREALTIME status=0
  wait "$ns" 2>/dev/null || status=$?
  # unshare passes on its child's death by a signal by raising it on
  # itself, which it cannot do for SIGKILL ("sigprocmask unblock failed",
  # exit 1): 128+9 is what an engine reports.
  [ -z "$killed" ] || status=137
  ns=
  wait "$load" || true
  local reload_failed reload_total stop_failed stop_total in_flight kinds quick
  eval "$("$py" "$apps/load.py" count "$out" "$t_stop" $t_hup)"
  local secs
  secs=$(awk -v a="$t_stop" -v b="$t_exit" 'BEGIN { printf "%.2f", b - a }')
  [ "$kinds" = - ] || notes+=("lost: $kinds")
  [ "$quick" = 0 ] || notes+=("$quick answered in under 0.9 s")
  local reload=-
  [ -z "$t_hup" ] || reload="$reload_failed/$reload_total"
  rows+=("$app|$mark $init|$stopsig|$reload|$stop_failed/$stop_total|$in_flight|$status|$secs|$(IFS=';'; echo "${notes[*]:-}")")
  say "$app under $init: reload $reload, stop $stop_failed/$stop_total ($in_flight in flight), exit $status in ${secs}s"
  if [ "$required" != - ]; then
    check "$app under $init: requests were in flight at the stop ($in_flight)" [ "$in_flight" -ge 1 ]
    check "$app under $init: the stop loses nothing ($stop_failed of $stop_total failed; lost in the run: $kinds)" [ "$stop_failed" = 0 ]
    [ -z "$t_hup" ] || check "$app under $init: the reload loses nothing ($reload_failed of $reload_total failed)" [ "$reload_failed" = 0 ]
    check "$app under $init: every 200 took its 1 s ($quick in under 0.9 s)" [ "$quick" = 0 ]
    check "$app under $init: exits $required (exit $status)" [ "$status" = "$required" ]
    check "$app under $init: exits on SIG$stopsig, before the SIGKILL" [ -z "$killed" ]
  fi
  if [ -n "${RINIT_APPS_LOGS:-}" ]; then
    say "output of $app under $init:"
    sed 's/^/    /' "$log" >&2
  fi
}
hup=0
quit=0
stopsig=TERM

# The inits as Debian installs them (docker's --init is tini as
# /sbin/docker-init -- CMD; podman's is catatonit -- CMD).
peers() {
  local app=$1 dir=$2
  shift 2
  run "$app" "shell form" - "$dir" /bin/sh -c "$(quote "$@")"
  run "$app" tini - "$dir" tini -- "$@"
  run "$app" dumb-init - "$dir" dumb-init "$@"
  run "$app" catatonit - "$dir" catatonit -- "$@"
}
# quote WORD...: the words as one line a shell reads back as those words.
quote() { printf '%q ' "$@"; }

# --- nginx alone ------------------------------------------------------------------
# nginx_conf DIR SLOW: a configuration in DIR, its files there too; SLOW is
# what /slow does.
nginx_conf() {
  local dir=$1
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/nginx.log notice;
worker_processes 2;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    location = / { return 200 "ok\n"; }
    location = /slow { $2 }
  }
}
EOF
}

static=$work/nginx
nginx_conf "$static" "root $static; limit_rate 32k;"
head -c 49152 /dev/zero >"$static/slow"
chmod -R a+rX "$static"
nginx=(nginx -c "$static/nginx.conf" -e "$static/nginx.log" -g 'daemon off;')
run nginx "rinit -r TERM:QUIT" 0 "$static" "$rinit" -r TERM:QUIT -- "${nginx[@]}"
run nginx "rinit" - "$static" "$rinit" -- "${nginx[@]}"
peers nginx "$static" "${nginx[@]}"
# The image's own way: STOPSIGNAL SIGQUIT (nginx's official image), and
# every init relays the QUIT docker stop sends; --stop-signals makes it a
# stop for rinit (the drain, --kill-after, the stuck-stop report).
stopsig=QUIT
run nginx "rinit --stop-signals QUIT,TERM" 0 "$static" "$rinit" --stop-signals QUIT,TERM -- "${nginx[@]}"
run nginx tini - "$static" tini -- "${nginx[@]}"
run nginx dumb-init - "$static" dumb-init "${nginx[@]}"
run nginx catatonit - "$static" catatonit -- "${nginx[@]}"
stopsig=TERM

# --- nginx + php-fpm --------------------------------------------------------------
php=$work/php
nginx_conf "$php" "fastcgi_pass unix:$php/php.sock;
      fastcgi_param SCRIPT_FILENAME $php/slow.php;
      fastcgi_param REQUEST_METHOD \$request_method;
      fastcgi_param SERVER_PROTOCOL \$server_protocol;"
cp "$apps/slow.php" "$php/slow.php"
cat >"$php/php-fpm.conf" <<EOF
[global]
pid = $php/php-fpm.pid
error_log = $php/php-fpm.log
[app]
user = nobody
group = nogroup
listen = $php/php.sock
listen.mode = 0666
pm = static
pm.max_children = 10
EOF
chmod -R a+rX "$php"
entry="php-fpm8.2 -D -y $php/php-fpm.conf; exec $(quote nginx -c "$php/nginx.conf" -e "$php/nginx.log" -g 'daemon off;')"
hup=1
run "nginx + php-fpm" "rinit -r TERM:QUIT" 0 "$php" "$rinit" -r TERM:QUIT -- sh -c "$entry"
run "nginx + php-fpm" "rinit -a -r TERM:QUIT" - "$php" "$rinit" -a -r TERM:QUIT -- sh -c "$entry"
run "nginx + php-fpm" "rinit -a" - "$php" "$rinit" -a -- sh -c "$entry"
run "nginx + php-fpm" "rinit --signal-all=every -r TERM:QUIT" - "$php" "$rinit" --signal-all=every -r TERM:QUIT -- sh -c "$entry"
run "nginx + php-fpm" "shell form" - "$php" /bin/sh -c "$entry"
run "nginx + php-fpm" tini - "$php" tini -- sh -c "$entry"
run "nginx + php-fpm" dumb-init - "$php" dumb-init sh -c "$entry"
run "nginx + php-fpm" catatonit - "$php" catatonit -- sh -c "$entry"
stopsig=QUIT
run "nginx + php-fpm" "rinit --stop-signals QUIT,TERM" 0 "$php" "$rinit" --stop-signals QUIT,TERM -- sh -c "$entry"
stopsig=TERM
hup=0

# --- Node behind npm --------------------------------------------------------------
node=$work/node
mkdir -p "$node/home"
cp "$apps/package.json" "$apps/server.js" "$node/"
# npm with a cache and HOME of its own, and nothing it would fetch.
export HOME=$node/home npm_config_cache=$node/npm-cache npm_config_update_notifier=false \
  npm_config_fund=false npm_config_audit=false npm_config_offline=true PORT=$port
run "node behind npm" "rinit" 143 "$node" "$rinit" -- npm run start
run "node behind npm" "rinit -e 143" 0 "$node" "$rinit" -e 143 -- npm run start
run "node behind npm" "rinit -c -e 143" 0 "$node" "$rinit" -c -e 143 -- npm run start
peers "node behind npm" "$node" npm run start
# npm runs the script with `sh -c`: dash forks node and dies of the
# SIGTERM npm passes on. bash (RHEL's and UBI's sh) and busybox ash
# (Alpine's, node:alpine) exec node instead: it gets the stop from the
# group and again from npm. -c sends it to npm alone, which passes it on
# once, whatever its shell.
export npm_config_script_shell=/bin/bash
run "npm (sh is bash)" "rinit" - "$node" "$rinit" -- npm run start
run "npm (sh is bash)" "rinit -c -e 143" 0 "$node" "$rinit" -c -e 143 -- npm run start
run "npm (sh is bash)" tini - "$node" tini -- npm run start
run "npm (sh is bash)" dumb-init - "$node" dumb-init npm run start
run "npm (sh is bash)" catatonit - "$node" catatonit -- npm run start
unset npm_config_script_shell
run "node" "rinit" 0 "$node" "$rinit" -- node server.js
peers "node" "$node" node server.js

# --- the JVM ----------------------------------------------------------------------
if command -v java >/dev/null; then
  jvm=$work/jvm
  mkdir -p "$jvm"
  cp "$apps/Server.java" "$jvm/"
  quit=1
  run "java Server.java" "rinit" 143 "$jvm" "$rinit" -- java Server.java "$port"
  peers "java Server.java" "$jvm" java Server.java "$port"
  quit=0
else
  say "skipped the JVM: no java here (the suite installs no JDK)"
fi

# --- the table --------------------------------------------------------------------
{
  echo
  format='%-18s %-38s %-5s %-7s %-7s %-9s %-4s %-7s %s\n'
  # shellcheck disable=SC2059 # the format is the one above
  printf "$format" app init sent reload stop in-flight exit seconds "seen"
  for row in "${rows[@]}"; do
    IFS='|' read -r a i g r s f e t n <<<"$row"
    # shellcheck disable=SC2059
    printf "$format" "$a" "$i" "$g" "$r" "$s" "$f" "$e" "$t" "$n"
  done
  echo "(* rinit's recipe: required to lose nothing; sent: the stop signal (an image's STOPSIGNAL);"
  echo " reload and stop: failed/total, the requests that ended before the stop and from it on)"
} >&2
say "$SECONDS s"
echo "apps: $passed passed, $failed failed"
((failed == 0))
