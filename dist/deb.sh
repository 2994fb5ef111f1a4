#!/usr/bin/env bash
# Makes a .deb that installs a prebuilt static rinit binary as /usr/bin/rinit,
# with its man page (dist/man.py's output) as rinit(1), README.md and docs/
# in /usr/share/doc/rinit/.
#   bash dist/deb.sh BINARY VERSION DEBIAN-ARCH MANPAGE OUTDIR
set -euo pipefail
binary=$1 version=$2 arch=$3 manual=$4 outdir=$5
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/bin/rinit"
install -D -m 0644 "$here/README.md" "$root/usr/share/doc/rinit/README.md"
# docs/ beside it, where README's links look for it.
install -d -m 0755 "$root/usr/share/doc/rinit/docs"
install -m 0644 "$here"/docs/*.md "$root/usr/share/doc/rinit/docs/"
install -d -m 0755 "$root/usr/share/man/man1"
gzip -9n <"$manual" >"$root/usr/share/man/man1/rinit.1.gz"
chmod 0644 "$root/usr/share/man/man1/rinit.1.gz"
# A native package's changelog, in Debian's format: lintian asks for one.
{
  echo "rinit ($version) unstable; urgency=medium"
  echo
  echo "  * rinit $version: see /usr/share/doc/rinit/README.md."
  echo
  echo " -- rinit developers <rinit@users.noreply.invalid>  $(date -R -u -d "@${SOURCE_DATE_EPOCH:-0}")"
} | gzip -9n >"$root/usr/share/doc/rinit/changelog.gz"
chmod 0644 "$root/usr/share/doc/rinit/changelog.gz"
# rinit is static on purpose: an init for images that may have no C
# library at all. lintian flags a static executable as a likely mistake
# (statically-linked-binary) and takes a static-pie one (ELF type ET_DYN,
# no NEEDED entry; it relocates itself with musl's rcrt1.o) for a shared
# library that lacks its libc: the override names the one that applies.
case "$(od -An -tu1 -j16 -N2 "$binary" | tr -s ' ')" in
" 3 0" | " 0 3") tag=shared-library-lacks-prerequisites ;; # ET_DYN, either byte order
*) tag=statically-linked-binary ;;
esac
install -d -m 0755 "$root/usr/share/lintian/overrides"
cat >"$root/usr/share/lintian/overrides/rinit" <<OVERRIDE
# An init for containers, static on purpose: it runs in images without a C library.
rinit: $tag [usr/bin/rinit]
OVERRIDE
chmod 0644 "$root/usr/share/lintian/overrides/rinit"
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
(cd "$root" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
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
