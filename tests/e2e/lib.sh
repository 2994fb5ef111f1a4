# shellcheck shell=bash
# What the end-to-end scripts share. Source it after setting `suite`:
#   say TEXT...                a line on stderr: [suite] TEXT
#   install_missing PKG...     apt-get installs those Debian packages, one at
#                              a time; fails if one would not install (an
#                              apt-get update that fails is reported and
#                              gone past: dist/apt-update)
#   check WHAT COMMAND...      runs COMMAND and counts it in $passed or
#                              $failed, saying WHAT when it failed
#   containerd_up NAMESPACE    a private containerd in $work/containerd (its
#                              CRI plugin off), its pid added to $pids; ctr_
#                              then talks to it in NAMESPACE

say() { printf '[%s] %s\n' "$suite" "$*" >&2; }

install_missing() {
  (($#)) || return 0
  say "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  bash dist/apt-update -qq
  local pkg status=0
  for pkg in "$@"; do
    apt-get install -y -qq "$pkg" >/dev/null 2>&1 || {
      say "could not install $pkg"
      status=1
    }
  done
  return "$status"
}

passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    say "FAILED: $what"
  fi
}

ctr_namespace=
ctr_() { ctr -a "$work/containerd/containerd.sock" -n "$ctr_namespace" "$@"; }
containerd_up() {
  ctr_namespace=$1
  mkdir -p "$work/containerd"
  cat >"$work/containerd/config.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
EOF
  containerd --config "$work/containerd/config.toml" >"$work/containerd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 150); do ctr_ version >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}
