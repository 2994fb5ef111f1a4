# shellcheck shell=bash
# What the end-to-end scripts share. Source it after setting `suite`:
#   say TEXT...                a line on stderr: [suite] TEXT
#   install_missing PKG...     apt-get installs those Debian packages, one at
#                              a time; fails if one would not install (an
#                              apt-get update that fails is reported and
#                              gone past: dist/apt-update)
#   check WHAT COMMAND...      runs COMMAND and counts it in $passed or
#                              $failed, saying WHAT when it failed

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
