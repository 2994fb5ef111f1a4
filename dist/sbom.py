"""Writes rinit's SBOM: an SPDX 2.3 JSON document of what is compiled into
the shipped binaries.

    python3 dist/sbom.py VERSION REVISION SOURCE BINARY=TARGET=MUSL... >FILE

MUSL is the version of Debian's musl-dev that BINARY links. Named in it: rinit,
every crate compiled into the binaries (the normal dependencies of rinit
for each shipped target, from `cargo metadata`, at Cargo.lock's versions,
with their declared licences, their crates.io download and Cargo.lock's
sha256 of it), the Rust standard library of the pinned nightly (dist/tiny
compiles it into the binary) and musl (linked statically); each shipped
binary as a file with its SHA-1 and SHA-256, generated from rinit and
statically linking the rest. Deterministic: `created` is SOURCE_DATE_EPOCH
and the namespace comes from the version and the revision. Only the
standard library is used (why not cargo-sbom: docs/building.md).
"""

import hashlib
import json
import os
import subprocess
import sys
import time
import tomllib

version, revision, source = sys.argv[1:4]
binaries = [arg.split("=", 2) for arg in sys.argv[4:]]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
with open(os.path.join(here, "dist", "nightly")) as f:
    nightly = f.read().strip()
with open(os.path.join(here, "Cargo.lock"), "rb") as f:
    lock = {(p["name"], p["version"]): p for p in tomllib.load(f)["package"]}


def ident(text):
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in text)


def spdx_licence(declared):
    # Older crates wrote "MIT/Apache-2.0": SPDX says "MIT OR Apache-2.0".
    return declared.replace("/", " OR ") if declared else "NOASSERTION"


# Normal (not build, not dev) dependencies reachable from rinit, for every
# shipped target: what the binaries are compiled from.
crates = {}  # package id -> metadata package
edges = set()  # (from id, to id)
for _, target, _ in binaries:
    meta = json.loads(
        subprocess.check_output(
            ["cargo", "metadata", "--locked", "--offline", "--format-version", "1", "--filter-platform", target],
            cwd=here,
        )
    )
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    todo = [meta["resolve"]["root"]]
    while todo:
        pid = todo.pop()
        if pid in crates:
            continue
        crates[pid] = packages[pid]
        for dep in nodes[pid]["deps"]:
            if any(k["kind"] is None for k in dep["dep_kinds"]):
                edges.add((pid, dep["pkg"]))
                todo.append(dep["pkg"])

spdx_ids = {}
packages = []
for pid, p in sorted(crates.items(), key=lambda item: (item[1]["name"], item[1]["version"])):
    spdx_ids[pid] = f"SPDXRef-Package-crate-{ident(p['name'])}-{ident(p['version'])}"
    package = {
        "SPDXID": spdx_ids[pid],
        "name": p["name"],
        "versionInfo": p["version"],
        "licenseDeclared": spdx_licence(p.get("license")),
        "licenseConcluded": spdx_licence(p.get("license")),
        "copyrightText": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "LIBRARY",
        "externalRefs": [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:cargo/{p['name']}@{p['version']}",
            }
        ],
    }
    locked = lock.get((p["name"], p["version"]), {})
    if p["source"]:
        package["downloadLocation"] = f"https://crates.io/api/v1/crates/{p['name']}/{p['version']}/download"
        package["checksums"] = [{"algorithm": "SHA256", "checksumValue": locked["checksum"]}]
        package["supplier"] = "NOASSERTION"
    else:  # rinit itself
        # Where its source is published; the revision it was built from.
        package["downloadLocation"] = "NOASSERTION"
        package["homepage"] = source
        package["sourceInfo"] = f"built from revision {revision}"
        package["primaryPackagePurpose"] = "APPLICATION"
        package["supplier"] = "Organization: rinit developers"
        rinit_id = spdx_ids[pid]
    packages.append(package)

std_id = "SPDXRef-Package-rust-std"
packages.append(
    {
        "SPDXID": std_id,
        "name": "rust-std",
        "versionInfo": f"nightly-{nightly}",
        "comment": "core, alloc and std from the rust-src component of the nightly in dist/nightly, compiled into rinit by cargo -Zbuild-std (dist/tiny)",
        "downloadLocation": f"https://static.rust-lang.org/dist/{nightly}/rust-src-nightly.tar.xz",
        "licenseDeclared": "MIT OR Apache-2.0",
        "licenseConcluded": "MIT OR Apache-2.0",
        "copyrightText": "NOASSERTION",
        "filesAnalyzed": False,
        "primaryPackagePurpose": "LIBRARY",
        "supplier": "Organization: The Rust Project",
    }
)
musl_ids = {}
for musl in sorted({m for _, _, m in binaries}):
    musl_ids[musl] = "SPDXRef-Package-musl-" + ident(musl)
    packages.append(
        {
            "SPDXID": musl_ids[musl],
            "name": "musl",
            "versionInfo": musl,
            "comment": "Debian's musl-dev (libc.a and the start files), linked statically (dist/musl)",
            "downloadLocation": f"https://snapshot.debian.org/package/musl/{musl}/",
            "licenseDeclared": "MIT",
            "licenseConcluded": "MIT",
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": False,
            "primaryPackagePurpose": "LIBRARY",
            "supplier": "Organization: Debian",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:deb/debian/musl-dev@{musl}",
                }
            ],
        }
    )

files = []
relationships = []
for binary, target, musl in binaries:
    with open(binary, "rb") as f:
        content = f.read()
    file_id = "SPDXRef-File-" + ident(os.path.basename(binary))
    files.append(
        {
            "SPDXID": file_id,
            "fileName": "./" + os.path.basename(binary),
            "fileTypes": ["BINARY"],
            "checksums": [
                {"algorithm": "SHA1", "checksumValue": hashlib.sha1(content).hexdigest()},
                {"algorithm": "SHA256", "checksumValue": hashlib.sha256(content).hexdigest()},
            ],
            "licenseConcluded": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "comment": f"rinit for {target}",
        }
    )
    relationships.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": file_id})
    relationships.append({"spdxElementId": file_id, "relationshipType": "GENERATED_FROM", "relatedSpdxElement": rinit_id})
    for lib in [i for i in spdx_ids.values() if i != rinit_id] + [std_id, musl_ids[musl]]:
        relationships.append({"spdxElementId": file_id, "relationshipType": "STATIC_LINK", "relatedSpdxElement": lib})
relationships.append({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": rinit_id})
for a, b in sorted(edges):
    relationships.append({"spdxElementId": spdx_ids[a], "relationshipType": "DEPENDS_ON", "relatedSpdxElement": spdx_ids[b]})

document = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": f"rinit-{version}",
    "documentNamespace": f"https://spdx.org/spdxdocs/rinit-{version}-{revision}",
    "creationInfo": {
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)),
        "creators": ["Tool: rinit-dist/sbom.py", "Organization: rinit developers"],
    },
    "packages": packages,
    "files": files,
    "relationships": relationships,
}
json.dump(document, sys.stdout, indent=1, sort_keys=True)
sys.stdout.write("\n")
