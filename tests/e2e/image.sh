#!/usr/bin/env bash
# rinit's image and what vouches for the files, checked as users take them:
# dist/build signed with a throwaway minisign key, then
#   - the signatures verify (and a changed SHA256SUMS does not), and a
#     second signed build gives the same SHA256SUMS, image, provenance and
#     signatures;
#   - the oci-archive (read without a daemon): one index over the eight
#     architectures, each image's one layer is /rinit alone, mode 0755,
#     owner 0, the binary SHA256SUMS lists for it; entrypoint /rinit -P;
#     labels; skopeo inspect --raw reads the index;
#   - the SBOM names every crate compiled in at Cargo.lock's versions and
#     checksums, and each binary by its sha256; the provenance's subjects
#     are SHA256SUMS, its inputs this revision, Cargo.lock, the nightly and
#     the musl-dev versions;
#   - in a private dockerd (skopeo copy oci-archive: -> docker-daemon:):
#     the image as a pause container stops on `docker stop`; with its
#     entrypoint overridden, `/rinit --install /out` copies the x86_64
#     binary byte for byte into a bind mount; an unmodified image (busybox
#     FROM scratch) then runs under that copy as PID 1 and its command
#     gets `docker stop`'s SIGTERM; a Dockerfile `COPY --from=` the image
#     runs an app under rinit;
#   - podman: skopeo copy into containers-storage, --install from it;
#   - containerd (ctr import of the archive): the image as a pod's sandbox,
#     PID 1 of a PID namespace another container joins, reaping its orphans;
#   - the arm64 image's /rinit under qemu-user: --install, and PID 1; the
#     arm64 image itself in dockerd, qemu registered with binfmt_misc.
# Every daemon is private (own root, state, socket under a temp dir) and
# stopped by its PID at the end, failure or not; nothing is left behind.
#
# Prints "image: N passed, N failed". Run as root: bash tests/e2e/image.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

suite=image
# shellcheck source=tests/e2e/lib.sh
source tests/e2e/lib.sh

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v skopeo >/dev/null || need+=(skopeo)
command -v minisign >/dev/null || need+=(minisign)
command -v podman >/dev/null || need+=(podman)
command -v containerd >/dev/null || need+=(containerd)
command -v runc >/dev/null || need+=(runc)
command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
[ -x /bin/busybox ] && file -L /bin/busybox | grep -q static || need+=(busybox-static)
install_missing "${need[@]}"

work=$(mktemp -d /tmp/rinit-image.XXXXXX)
pids=()
binfmt=/proc/sys/fs/binfmt_misc
binfmt_entry=rinit-e2e-aarch64
binfmt_mounted=
cleanup() {
  local status=$?
  set +e
  if [ -S "$work/docker.sock" ]; then
    docker_ ps -aq | xargs -r env DOCKER_HOST="unix://$work/docker.sock" docker rm -f >/dev/null 2>&1
  fi
  [ -d "$work/podman" ] && podman_ rm -af -t 0 >/dev/null 2>&1
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
  # The arm64 check's interpreter, and binfmt_misc if it mounted it.
  [ -e "$binfmt/$binfmt_entry" ] && echo -1 >"$binfmt/$binfmt_entry"
  [ -n "$binfmt_mounted" ] && umount "$binfmt"
  # Anything left of ours (a client, a shim, qemu): it names $work.
  pkill -KILL -f "$work" 2>/dev/null
  umount -R "$work" 2>/dev/null
  grep -o " ${work}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work" 2>/dev/null
  exit "$status"
}
trap cleanup EXIT INT TERM

# --- a signed build, twice ------------------------------------------------------
minisign -G -W -p "$work/key.pub" -s "$work/key.sec" >/dev/null
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
out=$repo/target/dist
archive=$out/rinit-$version.oci.tar
sbom=$out/rinit-$version.spdx.json
provenance=$out/rinit-$version.intoto.jsonl
x86=$out/rinit-$version-x86_64-linux-musl
signed=(SHA256SUMS "rinit-$version.oci.tar" "rinit-$version.intoto.jsonl" SHA256SUMS.minisig "rinit-$version.intoto.jsonl.minisig")
RINIT_MINISIGN_KEY=$work/key.sec bash dist/build >/dev/null
mkdir -p "$work/first"
for file in "${signed[@]}"; do cp "$out/$file" "$work/first/"; done
RINIT_MINISIGN_KEY=$work/key.sec bash dist/build >/dev/null
for file in "${signed[@]}"; do
  check "a second signed build gives the same $file" cmp -s "$work/first/$file" "$out/$file"
done

# --- signatures ------------------------------------------------------------------------
# As docs/building.md tells users: the signature, then the checksums.
check "minisign -V accepts SHA256SUMS, and sha256sum -c every file it lists" bash -c \
  "cd '$out' && minisign -Vm SHA256SUMS -p '$work/key.pub' -q && sha256sum -c --quiet SHA256SUMS"
check "minisign -V accepts the provenance" minisign -Vm "$provenance" -p "$work/key.pub" -q
tampered() {
  cp "$out/SHA256SUMS" "$work/SHA256SUMS" && cp "$out/SHA256SUMS.minisig" "$work/SHA256SUMS.minisig" &&
    sed -i '1s/^./0/; 1s/^0\(.\)/1\1/' "$work/SHA256SUMS" && ! minisign -Vm "$work/SHA256SUMS" -p "$work/key.pub" -q 2>/dev/null
}
check "minisign -V refuses a SHA256SUMS changed after signing" tampered
check "SHA256SUMS lists the image and the SBOM, not the provenance nor the signatures" bash -c \
  "cd '$out' && grep -q ' rinit-$version.oci.tar\$' SHA256SUMS && grep -q ' rinit-$version.spdx.json\$' SHA256SUMS && ! grep -q -e intoto -e minisig SHA256SUMS"

# --- the archive, read without a daemon --------------------------------------------------
# platform, the binary's name after rinit-VERSION-
platforms=(linux/amd64=x86_64-linux-musl linux/arm64/v8=aarch64-linux-musl linux/arm/v7=armv7-linux-musleabihf
  linux/arm/v5=armv5te-linux-musleabi linux/386=i686-linux-musl linux/ppc64le=powerpc64le-linux-musl
  linux/s390x=s390x-linux-musl linux/riscv64=riscv64gc-linux-musl)
archive_holds() { # prints what is wrong, if anything
  python3 - "$archive" "$out" "$version" "$(git rev-parse HEAD)" "${platforms[@]}" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
archive, out, version, revision, *platforms = sys.argv[1:]
wanted = dict(p.split("=") for p in platforms)
sums = {l.split()[1]: l.split()[0] for l in open(f"{out}/SHA256SUMS")}
outer = tarfile.open(archive)
names = outer.getnames()
bad = []
if names != sorted(names):
    bad.append("entries not sorted")
if any(m.uid or m.gid or m.mtime != outer.getmembers()[0].mtime for m in outer.getmembers()):
    bad.append("owners or times differ")
def blob(digest):
    return outer.extractfile("blobs/sha256/" + digest.split(":")[1]).read()
def checked(descriptor):
    content = blob(descriptor["digest"])
    if "sha256:" + hashlib.sha256(content).hexdigest() != descriptor["digest"] or len(content) != descriptor["size"]:
        bad.append(f"blob {descriptor['digest']}: digest or size wrong")
    return json.loads(content) if descriptor["mediaType"].endswith("json") else content
top = json.loads(outer.extractfile("index.json").read())
if len(top["manifests"]) != 1 or top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] != version:
    bad.append("index.json does not name one index tagged " + version)
index = checked(top["manifests"][0])
seen = {}
for m in index["manifests"]:
    p = m["platform"]
    seen["/".join([p["os"], p["architecture"]] + ([p["variant"]] if "variant" in p else []))] = m
if set(seen) != set(wanted):
    bad.append(f"platforms {sorted(seen)}")
for platform, m in seen.items():
    manifest = checked(m)
    config = checked(manifest["config"])
    if config["config"].get("Entrypoint") != ["/rinit", "-P"] or config["architecture"] != m["platform"]["architecture"]:
        bad.append(f"{platform}: config {config['config']}")
    labels = config["config"].get("Labels", {})
    for key, value in [("version", version), ("revision", revision), ("licenses", "MIT")]:
        if labels.get("org.opencontainers.image." + key) != value:
            bad.append(f"{platform}: label {key} is {labels.get('org.opencontainers.image.' + key)}")
    if not labels.get("org.opencontainers.image.source"):
        bad.append(f"{platform}: no source label")
    if len(manifest["layers"]) != 1:
        bad.append(f"{platform}: {len(manifest['layers'])} layers")
        continue
    raw = gzip.decompress(checked(manifest["layers"][0]))
    if config["rootfs"]["diff_ids"] != ["sha256:" + hashlib.sha256(raw).hexdigest()]:
        bad.append(f"{platform}: diff_id")
    layer = tarfile.open(fileobj=io.BytesIO(raw)).getmembers()
    if [(e.name, e.mode, e.uid, e.gid, e.isfile()) for e in layer] != [("rinit", 0o755, 0, 0, True)]:
        bad.append(f"{platform}: layer holds {[(e.name, oct(e.mode), e.uid, e.gid) for e in layer]}")
        continue
    content = tarfile.open(fileobj=io.BytesIO(raw)).extractfile("rinit").read()
    if hashlib.sha256(content).hexdigest() != sums[f"rinit-{version}-{wanted[platform]}"]:
        bad.append(f"{platform}: /rinit is not rinit-{version}-{wanted[platform]} of SHA256SUMS")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
check "the archive: one index over eight platforms, each /rinit alone (0755, 0:0) = SHA256SUMS's binary, entrypoint /rinit -P, labels" archive_holds
skopeo_reads() {
  local raw
  raw=$(skopeo inspect --raw "oci-archive:$archive") || return 1
  python3 -c 'import json, sys
index = json.loads(sys.argv[1])
got = sorted("/".join([m["platform"]["architecture"], m["platform"].get("variant", "")]).rstrip("/") for m in index["manifests"])
want = sorted(["amd64", "arm64/v8", "arm/v7", "arm/v5", "386", "ppc64le", "s390x", "riscv64"])
sys.exit(0 if index["mediaType"] == "application/vnd.oci.image.index.v1+json" and got == want else 1)' "$raw"
}
check "skopeo inspect --raw oci-archive:FILE reads the index with its eight platforms" skopeo_reads
check "skopeo reads the archive by its tag too (oci-archive:FILE:$version)" bash -c "skopeo inspect --raw 'oci-archive:$archive:$version' >/dev/null"

# --- SBOM and provenance ------------------------------------------------------------------
sbom_names() {
  python3 - "$sbom" "$out" "$version" <<'PY'
import hashlib, json, subprocess, sys, tomllib
sbom, out, version = sys.argv[1:]
doc = json.load(open(sbom))
lock = {(p["name"], p["version"]): p for p in tomllib.load(open("Cargo.lock", "rb"))["package"]}
bad = []
if doc["spdxVersion"] != "SPDX-2.3" or doc["dataLicense"] != "CC0-1.0" or doc["SPDXID"] != "SPDXRef-DOCUMENT":
    bad.append("not an SPDX 2.3 document")
packages = {(p["name"], p.get("versionInfo")): p for p in doc["packages"]}
tree = subprocess.check_output(["cargo", "tree", "--locked", "--offline", "-e", "normal", "--prefix", "none",
                                "--target", "x86_64-unknown-linux-musl", "--format", "{p}"], text=True)
crates = {tuple(l.split()[:2]) for l in tree.splitlines() if l.strip()}
for name, v in sorted(crates):
    v = v.lstrip("v")
    p = packages.get((name, v))
    if p is None:
        bad.append(f"{name} {v} missing")
    elif name != "rinit" and (p.get("checksums") != [{"algorithm": "SHA256", "checksumValue": lock[(name, v)]["checksum"]}]
                              or p.get("licenseDeclared") in (None, "NOASSERTION")):
        bad.append(f"{name} {v}: checksum or licence")
for must in ("nix", "libc"):
    if not any(n == must for n, _ in crates):
        bad.append(f"cargo tree lacks {must}?")
sums = {l.split()[1]: l.split()[0] for l in open(f"{out}/SHA256SUMS")}
files = {f["fileName"].lstrip("./"): {c["algorithm"]: c["checksumValue"] for c in f["checksums"]} for f in doc["files"]}
binaries = [n for n in sums if n.startswith(f"rinit-{version}-") and not n.endswith(".whl")]
if len(binaries) != 8 or any(files.get(n, {}).get("SHA256") != sums[n] for n in binaries):
    bad.append(f"binaries: {sorted(files)}")
ids = {p["SPDXID"] for p in doc["packages"]} | {f["SPDXID"] for f in doc["files"]} | {"SPDXRef-DOCUMENT"}
if any(r["spdxElementId"] not in ids or r["relatedSpdxElement"] not in ids for r in doc["relationships"]):
    bad.append("a relationship names nothing")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
check "the SBOM: SPDX 2.3, every crate of cargo tree at Cargo.lock's version and checksum with its licence, every binary's sha256" sbom_names
provenance_covers() {
  python3 - "$provenance" "$out" "$(git rev-parse HEAD)" "$(sha256sum Cargo.lock | cut -d' ' -f1)" "$(cat dist/nightly)" \
    "$(dpkg-query -W -f '${Version}' musl-dev:amd64)" <<'PY'
import json, sys
path, out, revision, lock, nightly, musl = sys.argv[1:]
lines = open(path).read().splitlines()
bad = []
if len(lines) != 1:
    bad.append(f"{len(lines)} lines")
st = json.loads(lines[0])
if st["_type"] != "https://in-toto.io/Statement/v1" or st["predicateType"] != "https://slsa.dev/provenance/v1":
    bad.append("not an in-toto Statement v1 of SLSA provenance v1")
sums = {l.split()[1]: l.split()[0] for l in open(f"{out}/SHA256SUMS")}
subjects = {s["name"]: s["digest"]["sha256"] for s in st["subject"]}
if subjects != sums:
    bad.append("subjects are not SHA256SUMS")
deps = st["predicate"]["buildDefinition"]["resolvedDependencies"]
text = json.dumps(deps)
if not any(d.get("digest", {}).get("gitCommit") == revision for d in deps):
    bad.append("no source revision")
if not any(d.get("name") == "Cargo.lock" and d["digest"]["sha256"] == lock for d in deps):
    bad.append("no Cargo.lock digest")
if f"/dist/{nightly}/" not in text or f"pkg:deb/debian/musl-dev@{musl}" not in text:
    bad.append("no nightly or musl-dev version")
if not st["predicate"]["runDetails"]["builder"]["id"]:
    bad.append("no builder id")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
}
check "the provenance: one in-toto statement, subjects = SHA256SUMS, inputs: revision, Cargo.lock, nightly, musl-dev" provenance_covers

# --- arm64 under qemu-user -------------------------------------------------------------
# No binfmt_misc here to run the arm64 image itself: its /rinit, taken from
# the archive, runs under qemu-aarch64-static (which answers /proc/self/exe
# with the program it runs).
extract() { # extract PLATFORM FILE: /rinit of that platform's image
  python3 - "$archive" "$1" "$2" <<'PY'
import gzip, io, json, sys, tarfile
archive, platform, dest = sys.argv[1:]
outer = tarfile.open(archive)
blob = lambda d: outer.extractfile("blobs/sha256/" + d.split(":")[1]).read()
index = json.loads(blob(json.loads(outer.extractfile("index.json").read())["manifests"][0]["digest"]))
for m in index["manifests"]:
    p = m["platform"]
    if "/".join([p["os"], p["architecture"]] + ([p["variant"]] if "variant" in p else [])) == platform:
        layer = json.loads(blob(m["digest"]))["layers"][0]["digest"]
        data = tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob(layer)))).extractfile("rinit").read()
        open(dest, "wb").write(data)
PY
  chmod 0755 "$2"
}
arm64_installs() {
  extract linux/arm64/v8 "$work/rinit-arm64" && mkdir -p "$work/arm64-out" &&
    timeout 30 qemu-aarch64-static "$work/rinit-arm64" --install "$work/arm64-out" 2>/dev/null &&
    cmp -s "$work/arm64-out/rinit" "$out/rinit-$version-aarch64-linux-musl" &&
    [ "$(timeout 30 unshare --pid --fork --mount-proc --kill-child -- qemu-aarch64-static "$work/arm64-out/rinit" -- sh -c 'cat /proc/1/cmdline | tr "\0" " "; exit 5')" != "" ]
  local status=$?
  [ "$status" -eq 0 ] || return 1
  local code=0
  timeout 30 unshare --pid --fork --mount-proc --kill-child -- qemu-aarch64-static "$work/arm64-out/rinit" -- sh -c 'exit 5' || code=$?
  [ "$code" -eq 5 ]
}
check "arm64 image's /rinit under qemu: --install copies it byte for byte, and the copy runs a command as PID 1" arm64_installs

# --- docker ------------------------------------------------------------------------------
docker_() { DOCKER_HOST=unix://$work/docker.sock docker "$@"; }
say "starting dockerd in $work"
dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 \
  --data-root "$work/docker" --exec-root "$work/docker-exec" --pidfile "$work/docker.pid" \
  -H "unix://$work/docker.sock" >"$work/dockerd.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do docker_ version >/dev/null 2>&1 && break; sleep 0.2; done
docker_ version >/dev/null 2>&1 || {
  say "dockerd did not start: $(tail -n 3 "$work/dockerd.log")"
  exit 1
}
image=rinit-image:$version
check "skopeo copy oci-archive: -> docker-daemon: (amd64)" \
  skopeo copy -q --dest-daemon-host "unix://$work/docker.sock" "oci-archive:$archive" "docker-daemon:$image"
check "docker sees the entrypoint /rinit -P" \
  test "$(docker_ image inspect -f '{{json .Config.Entrypoint}}' "$image" 2>/dev/null)" = '["/rinit","-P"]'

# The image as it stands: a pause container, stopped by docker stop's SIGTERM
# (not its SIGKILL 10 s later).
pause_stops() {
  docker_ run -d --name pause --network none "$image" >/dev/null || return 1
  sleep 0.5
  [ "$(docker_ inspect -f '{{.State.Running}}' pause)" = true ] || return 1
  local start=$SECONDS
  docker_ stop -t 10 pause >/dev/null || return 1
  [ $((SECONDS - start)) -lt 5 ] && [ "$(docker_ inspect -f '{{.State.ExitCode}}' pause)" = 0 ]
}
check "the image runs as a pause container and exits 0 at docker stop's SIGTERM" pause_stops

# The arm64 image itself, under docker: qemu-aarch64-static registered with
# binfmt_misc for this check alone (F: opened now, so it serves inside the
# container's mount namespace too), removed again by cleanup. As PID 1,
# rinit asks qemu for nothing it refuses (PR_SET_CHILD_SUBREAPER).
arm64_image_pauses() {
  if [ ! -e "$binfmt/register" ]; then
    mount -t binfmt_misc binfmt_misc "$binfmt" || return 1
    binfmt_mounted=1
  fi
  if [ ! -e "$binfmt/qemu-aarch64" ]; then
    # The kernel reads the \x escapes itself.
    printf '%s' ":$binfmt_entry:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:$(command -v qemu-aarch64-static):F" \
      >"$binfmt/register" || return 1
  fi
  skopeo copy -q --override-arch arm64 --dest-daemon-host "unix://$work/docker.sock" \
    "oci-archive:$archive" "docker-daemon:rinit-e2e-arm64:$version" || return 1
  [ "$(docker_ image inspect -f '{{.Architecture}}' "rinit-e2e-arm64:$version")" = arm64 ] || return 1
  docker_ run -d --name pause-arm64 --network none --platform linux/arm64 "rinit-e2e-arm64:$version" >/dev/null || return 1
  sleep 1
  [ "$(docker_ inspect -f '{{.State.Running}}' pause-arm64)" = true ] || return 1
  local start=$SECONDS
  docker_ stop -t 10 pause-arm64 >/dev/null || return 1
  [ $((SECONDS - start)) -lt 5 ] && [ "$(docker_ inspect -f '{{.State.ExitCode}}' pause-arm64)" = 0 ]
}
check "the arm64 image runs under docker and qemu (binfmt_misc) as a pause container, and stops at SIGTERM" arm64_image_pauses

# Injection, as the initContainer of examples/kubernetes does it.
mkdir -p "$work/out"
injected() {
  docker_ run --rm --network none --entrypoint /rinit -v "$work/out:/out" "$image" --install /out >"$work/install.log" 2>&1 &&
    grep -qF "[rinit] installed '/out/rinit'" "$work/install.log" &&
    [ "$(sha256sum <"$work/out/rinit" | cut -d' ' -f1)" = "$(grep " rinit-$version-x86_64-linux-musl\$" "$out/SHA256SUMS" | cut -d' ' -f1)" ] &&
    [ "$(stat -c %a "$work/out/rinit")" = 755 ]
}
check "docker run --entrypoint /rinit IMAGE --install /out: SHA256SUMS's x86_64 binary, mode 0755" injected

# An image nobody rebuilt: busybox FROM scratch, its own entrypoint.
ctx=$work/busybox
mkdir -p "$ctx/root/bin"
cp /bin/busybox "$ctx/root/bin/busybox"
for tool in sh cat sleep echo; do ln -s busybox "$ctx/root/bin/$tool"; done
printf 'FROM scratch\nCOPY root/ /\nENV PATH=/bin\nENTRYPOINT ["sh", "-c", "echo unmodified"]\n' >"$ctx/Dockerfile"
docker_ build -q -t rinit-image-busybox "$ctx" >"$work/build.log" 2>&1 || cat "$work/build.log" >&2
app='trap "echo app got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
unmodified() {
  docker_ run -d --name unmodified --network none -v "$work/out:/rinit-bin:ro" \
    --entrypoint /rinit-bin/rinit rinit-image-busybox -- sh -c "$app" >/dev/null || return 1
  for _ in $(seq 100); do docker_ logs unmodified 2>&1 | grep -q ready && break; sleep 0.1; done
  [ "$(docker_ exec unmodified cat /proc/1/comm)" = rinit ] || { say "PID 1 is not rinit"; return 1; }
  local start=$SECONDS
  docker_ stop -t 10 unmodified >/dev/null
  local logs
  logs=$(docker_ logs unmodified 2>&1)
  grep -q "app got TERM" <<<"$logs" && [ $((SECONDS - start)) -lt 5 ] &&
    [ "$(docker_ inspect -f '{{.State.ExitCode}}' unmodified)" = 0 ]
}
check "an unmodified image runs under the injected rinit as PID 1, and its command gets docker stop's SIGTERM" unmodified

# COPY --from= the image, into an image FROM scratch.
copy_from() {
  local dir=$work/copy-from
  mkdir -p "$dir"
  cat >"$dir/Dockerfile" <<EOF
FROM rinit-image-busybox
COPY --from=$image /rinit /rinit
ENTRYPOINT ["/rinit", "--"]
CMD ["sh", "-c", "echo pid1 is \$(cat /proc/1/comm); exit 3"]
EOF
  docker_ build -q -t rinit-image-copy-from "$dir" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    return 1
  }
  local said code=0
  said=$(docker_ run --rm --network none rinit-image-copy-from 2>&1) || code=$?
  if [ "$said" != "pid1 is rinit" ] || [ "$code" -ne 3 ]; then
    say "said '$said', exit $code"
    return 1
  fi
}
check "a Dockerfile's COPY --from=the image runs the app under rinit (PID 1, its status)" copy_from

# --- podman -------------------------------------------------------------------------------
podman_() {
  CONTAINERS_CONF=$work/podman/containers.conf \
    podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc \
    --cgroup-manager cgroupfs --events-backend file "$@"
}
mkdir -p "$work/podman" "$work/podman-out"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$work/podman/containers.conf"
podman_installs() {
  skopeo copy -q "oci-archive:$archive" \
    "containers-storage:[overlay@$work/podman/root+$work/podman/run]localhost/rinit:$version" || return 1
  podman_ run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    --entrypoint /rinit -v "$work/podman-out:/out" "localhost/rinit:$version" --install /out >/dev/null 2>&1 &&
    cmp -s "$work/podman-out/rinit" "$x86"
}
if podman_ info >/dev/null 2>&1; then
  check "skopeo copy oci-archive: -> containers-storage:, and podman runs --install from it" podman_installs
else
  say "skipped: podman cannot run here"
fi

# --- containerd: the image as a pod's sandbox ------------------------------------------------
# The CRI plugin (which would take it as sandbox_image) stays off, as in
# engines.sh: the sandbox is made by hand, the way the kubelet's runtime
# makes one with shareProcessNamespace: the image's own entrypoint holds a
# PID namespace that an app container joins.
containerd_up rinit-image || say "containerd did not start: $(tail -n 1 "$work/containerd.log")"
sandbox() {
  ctr_ images import --base-name docker.io/library/rinit "$archive" >/dev/null || return 1
  docker_ save -o "$work/busybox.tar" rinit-image-busybox && ctr_ images import "$work/busybox.tar" >/dev/null || return 1
  local busybox
  busybox=$(ctr_ images ls -q | grep rinit-image-busybox | head -n 1)
  ctr_ run -d "docker.io/library/rinit:$version" sandbox >/dev/null || return 1
  local pid=""
  for _ in $(seq 50); do
    pid=$(ctr_ task ls | awk '$1 == "sandbox" && $3 == "RUNNING" {print $2}')
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || return 1
  # The app leaves orphans behind; the sandbox, PID 1 of the shared
  # namespace, must reap them.
  local said
  said=$(ctr_ run --rm --with-ns "pid:/proc/$pid/ns/pid" "$busybox" app \
    sh -c 'cat /proc/1/comm; (sleep 0.2 &); (sleep 0.2 &); exit 0' 2>&1) || return 1
  [ "$said" = rinit ] || { say "PID 1 of the pod: '$said'"; return 1; }
  sleep 1
  local zombies=0 child
  for child in $(pgrep -P "$pid"); do
    grep -q '^State:.Z' "/proc/$child/status" 2>/dev/null && zombies=$((zombies + 1))
  done
  [ "$zombies" -eq 0 ] || { say "$zombies zombies under the sandbox"; return 1; }
  ctr_ task kill -s SIGTERM sandbox && for _ in $(seq 50); do
    ctr_ task ls | grep -q '^sandbox .*STOPPED' && break
    sleep 0.1
  done
  ctr_ task ls | grep -q '^sandbox .*STOPPED'
}
if ctr_ version >/dev/null 2>&1; then
  check "containerd: the image as a pod's sandbox is PID 1 of the pod, reaps its orphans, stops on SIGTERM" sandbox
else
  say "skipped: containerd did not start: $(tail -n 1 "$work/containerd.log")"
fi

echo "image: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
