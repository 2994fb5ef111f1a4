"""Makes a Python wheel that installs a prebuilt static rinit binary.

    python3 dist/wheel.py BINARY VERSION MACHINE OUTDIR

The binary goes in the wheel's `.data/scripts/`, which pip installs, made
executable, into the environment's bin directory: `pip install rinit` puts
`rinit` on that environment's PATH, as `pip install dumb-init` does for
dumb-init. The binary is static, so the wheel is tagged for every Linux of
its architecture, glibc (manylinux) and musl (musllinux) alike, and for any
Python 3: it holds no Python code. Only the standard library is used.
"""

import base64
import hashlib
import os
import sys
import zipfile

binary, version, machine, outdir = sys.argv[1:5]
name = "rinit"
# manylinux2014 is the legacy name of manylinux_2_17 (PEP 599), which
# predates riscv64: no such alias there. armv7l means hard-float (armhf).
tags = [f"py3-none-manylinux_2_17_{machine}"]
if machine != "riscv64":
    tags.append(f"py3-none-manylinux2014_{machine}")
tags.append(f"py3-none-musllinux_1_1_{machine}")
platforms = ".".join(t.split("-")[2] for t in tags)
wheel = os.path.join(outdir, f"{name}-{version}-py3-none-{platforms}.whl")
data = f"{name}-{version}.data"
info = f"{name}-{version}.dist-info"
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
# Zip's dates start in 1980.
stamp = max(epoch, 315532800)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "..", "LICENSE"), "rb") as f:
    license_text = f.read()

metadata = f"""Metadata-Version: 2.1
Name: {name}
Version: {version}
Summary: A tiny init for containers: PID 1 that relays every signal, reaps every zombie and exits with the command's status
License: MIT
Platform: Linux
Description-Content-Type: text/plain
Classifier: License :: OSI Approved :: MIT License
Classifier: Operating System :: POSIX :: Linux
Classifier: Environment :: Console
Classifier: Topic :: System :: Boot :: Init

rinit is a drop-in for tini, docker-init and dumb-init. In a Dockerfile:
ENTRYPOINT ["rinit", "--", "gunicorn", "app:app"] (after pip install rinit).
""".encode()
wheel_file = (
    "Wheel-Version: 1.0\nGenerator: rinit dist/wheel.py\nRoot-Is-Purelib: false\n"
    + "".join(f"Tag: {t}\n" for t in tags)
).encode()

with open(binary, "rb") as f:
    program = f.read()

entries = [
    (f"{data}/scripts/{name}", program, 0o755),
    (f"{info}/METADATA", metadata, 0o644),
    (f"{info}/WHEEL", wheel_file, 0o644),
    (f"{info}/LICENSE", license_text, 0o644),
]


def digest(content):
    raw = hashlib.sha256(content).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


record = "".join(f"{path},{digest(content)},{len(content)}\n" for path, content, _ in entries)
record += f"{info}/RECORD,,\n"
entries.append((f"{info}/RECORD", record.encode(), 0o644))

with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
    for path, content, mode in entries:
        item = zipfile.ZipInfo(path, date_time=__import__("time").gmtime(stamp)[:6])
        item.external_attr = (0o100000 | mode) << 16
        item.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(item, content)
print(wheel)
