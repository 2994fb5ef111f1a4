#!/usr/bin/env bash
# Makes a .deb that installs a prebuilt static rinit binary as /usr/bin/rinit.
#   bash dist/deb.sh BINARY VERSION DEBIAN-ARCH OUTDIR
set -euo pipefail
binary=$1 version=$2 arch=$3 outdir=$4
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/bin/rinit"
install -D -m 0644 "$here/README.md" "$root/usr/share/doc/rinit/README.md"
# Debian keeps a package's license in its doc directory as `copyright`.
{
  echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
  echo "Upstream-Name: rinit"
  echo
  echo "Files: *"
  echo "License: MIT"
  sed 's/^$/./; s/^/ /' "$here/LICENSE"
} >"$root/usr/share/doc/rinit/copyright"
chmod 0644 "$root/usr/share/doc/rinit/copyright"

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: rinit
Version: $version
Architecture: $arch
Maintainer: rinit developers <rinit@users.noreply.invalid>
Installed-Size: $size
Section: admin
Priority: optional
Description: tiny init for containers
 rinit runs as PID 1 of a container: it starts the command in its own
 process group, relays SIGTERM and every other signal to it, reaps every
 zombie, and exits with the command's status. A drop-in for tini,
 docker-init and dumb-init: invoked under their names, it takes their
 defaults.
CONTROL
find "$root" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
dpkg-deb --root-owner-group -Zxz --build "$root" "$outdir/rinit_${version}_${arch}.deb" >/dev/null
echo "$outdir/rinit_${version}_${arch}.deb"
