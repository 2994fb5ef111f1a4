"""Makes rinit's multi-architecture OCI image as an oci-archive.

    python3 dist/oci.py ARCHIVE VERSION REVISION SOURCE BINARY=PLATFORM...

PLATFORM is os/architecture[/variant] as registries name them (linux/amd64,
linux/arm64/v8, linux/arm/v7, ...). Each architecture's image is FROM
scratch: one layer holding `/rinit` (the binary byte for byte, mode 0755,
owned by 0:0) and nothing else, its entrypoint `/rinit -P` (pause mode), so
that the same image is a pod's sandbox ("pause") image as it stands and the
source of `COPY --from=IMAGE /rinit /rinit`.

The archive is an OCI image layout in a tar (what `skopeo copy
oci-archive:FILE ...` reads): index.json names one image index, tagged
VERSION, which lists one image manifest per platform. Nothing depends on
when or where it is made: every timestamp is SOURCE_DATE_EPOCH, entries are
sorted, owners are 0, gzip's header carries no name and no time, and JSON
is written with sorted keys. Only the standard library is used.
"""

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import time

archive, version, revision, source = sys.argv[1:5]
images = [arg.split("=", 1) for arg in sys.argv[5:]]
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

labels = {
    "org.opencontainers.image.title": "rinit",
    "org.opencontainers.image.description": "A tiny init for containers (PID 1); this image holds /rinit alone",
    "org.opencontainers.image.version": version,
    "org.opencontainers.image.revision": revision,
    "org.opencontainers.image.source": source,
    "org.opencontainers.image.licenses": "MIT",
    "org.opencontainers.image.created": created,
}

blobs = {}  # digest -> bytes


def blob(content):
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    blobs[digest] = content
    return digest


def descriptor(media_type, content, **extra):
    return dict(mediaType=media_type, digest=blob(content), size=len(content), **extra)


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def entry(name, size, mode, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.type, info.mtime = size, mode, kind, epoch
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def layer(program):
    """The layer's tar (its diff_id's bytes) and the same gzipped."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(entry("rinit", len(program), 0o755), io.BytesIO(program))
    packed = io.BytesIO()
    # No file name and time 0 in gzip's header: the same bytes every build.
    with gzip.GzipFile(fileobj=packed, mode="wb", compresslevel=9, mtime=0) as z:
        z.write(raw.getvalue())
    return raw.getvalue(), packed.getvalue()


manifests = []
for binary, platform in images:
    with open(binary, "rb") as f:
        program = f.read()
    tar, packed = layer(program)
    os_name, architecture, *variant = platform.split("/")
    where = dict(os=os_name, architecture=architecture)
    if variant:
        where["variant"] = variant[0]
    config = dict(
        where,
        created=created,
        config=dict(Entrypoint=["/rinit", "-P"], Labels=labels),
        rootfs=dict(type="layers", diff_ids=["sha256:" + hashlib.sha256(tar).hexdigest()]),
        history=[dict(created=created, created_by="dist/oci.py: /rinit from " + os.path.basename(binary))],
    )
    manifest = dict(
        schemaVersion=2,
        mediaType=MANIFEST,
        config=descriptor(CONFIG, canonical(config)),
        layers=[descriptor(LAYER, packed)],
        annotations=dict(labels),
    )
    manifests.append(descriptor(MANIFEST, canonical(manifest), platform=where))

index = dict(schemaVersion=2, mediaType=INDEX, manifests=manifests, annotations=dict(labels))
# index.json lists one thing, the multi-architecture index, so that
# `oci-archive:FILE` needs no tag; the tag makes `oci-archive:FILE:VERSION`
# work too.
top = dict(
    schemaVersion=2,
    mediaType=INDEX,
    manifests=[descriptor(INDEX, canonical(index), annotations={"org.opencontainers.image.ref.name": version})],
)

files = {
    "oci-layout": canonical({"imageLayoutVersion": "1.0.0"}),
    "index.json": canonical(top),
}
files.update({"blobs/sha256/" + d.split(":", 1)[1]: content for d, content in blobs.items()})

with open(archive, "wb") as out:
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for directory in ("blobs", "blobs/sha256"):
            tar.addfile(entry(directory, 0, 0o755, tarfile.DIRTYPE))
        for name in sorted(files):
            tar.addfile(entry(name, len(files[name]), 0o644), io.BytesIO(files[name]))
print(archive)
