"""Writes rinit's build provenance: one in-toto Statement v1 (a line of
JSON) with a SLSA provenance v1 predicate.

    python3 dist/provenance.py DIST VERSION REVISION SOURCE BUILDER TARGET=MUSL... >FILE

Its subjects are every file DIST/SHA256SUMS lists, with that sha256 (the
statement is not among them: it cannot name its own digest). It records
what the build took in: the source revision, Cargo.lock's sha256 and every
crate it pins, the nightly dist/nightly pins (and what `rustc +nightly -V`
says of it), the version of Debian's musl-dev linked for each target, and
SOURCE_DATE_EPOCH. Nothing in it depends on when or where it was written,
so a second build gives the same bytes. Only the standard library is used.
"""

import hashlib
import json
import os
import subprocess
import sys
import tomllib

dist, version, revision, source, builder = sys.argv[1:6]
targets = [arg.split("=", 1) for arg in sys.argv[6:]]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")

subjects = []
with open(os.path.join(dist, "SHA256SUMS")) as f:
    for line in f:
        digest, name = line.rstrip("\n").split(maxsplit=1)
        subjects.append({"name": name.lstrip("*"), "digest": {"sha256": digest}})

with open(os.path.join(here, "Cargo.lock"), "rb") as f:
    lock_bytes = f.read()
with open(os.path.join(here, "dist", "nightly")) as f:
    nightly = f.read().strip()
rustc = subprocess.check_output(["rustc", "+nightly", "-V"], text=True).strip()

source_uri = source
dependencies = [
    {"uri": f"{source_uri}@{revision}", "digest": {"gitCommit": revision}, "name": "rinit source"},
    {"name": "Cargo.lock", "digest": {"sha256": hashlib.sha256(lock_bytes).hexdigest()}},
]
for p in sorted(tomllib.loads(lock_bytes.decode())["package"], key=lambda p: (p["name"], p["version"])):
    if "checksum" in p:
        dependencies.append(
            {
                "uri": f"pkg:cargo/{p['name']}@{p['version']}",
                "digest": {"sha256": p["checksum"]},
            }
        )
dependencies.append(
    {
        "name": "rust nightly",
        "uri": f"https://static.rust-lang.org/dist/{nightly}/",
        "annotations": {"rustc": rustc, "components": "rustc, cargo, rust-src (-Zbuild-std)"},
    }
)
for target, musl in targets:
    dependencies.append({"uri": f"pkg:deb/debian/musl-dev@{musl}", "annotations": {"target": target}})

statement = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": subjects,
    "predicateType": "https://slsa.dev/provenance/v1",
    "predicate": {
        "buildDefinition": {
            "buildType": "urn:rinit:dist-build:v1",
            "externalParameters": {
                "command": "bash dist/build",
                "version": version,
                "source": {"uri": source_uri, "revision": revision},
                "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0"),
            },
            "internalParameters": {"targets": [t for t, _ in targets]},
            "resolvedDependencies": dependencies,
        },
        "runDetails": {
            "builder": {"id": builder},
            "metadata": {"invocationId": f"rinit-{version}-{revision}"},
        },
    },
}
print(json.dumps(statement, sort_keys=True, separators=(",", ":")))
