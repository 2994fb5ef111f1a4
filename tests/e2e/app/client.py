"""Requests to the app on 127.0.0.1:80 (or APP_PORT), from the container's
own network namespace (the engines run it with --network none).

    client.py wait            until the app answers (30 s at most)
    client.py slow            one request to /slow: prints its status
    client.py load SECONDS    a request to / every 20 ms for SECONDS, as a
                              load balancer keeps sending until the endpoint
                              is removed: prints "sent N failed M"
"""

import os
import sys
import time
import urllib.request

PORT = os.environ.get("APP_PORT", "80")


def get(path, timeout=5):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=timeout) as r:
            r.read()
            return r.status
    except Exception as e:  # refused, reset, 5xx: a failed request
        return getattr(e, "code", None) or type(e).__name__


what = sys.argv[1]
if what == "wait":
    deadline = time.monotonic() + 30
    while get("/", timeout=1) != 200:
        if time.monotonic() > deadline:
            sys.exit("client: the app never answered")
        time.sleep(0.1)
elif what == "slow":
    print(get("/slow"), flush=True)
elif what == "load":
    end = time.monotonic() + float(sys.argv[2])
    sent = failed = 0
    while time.monotonic() < end:
        sent += 1
        failed += get("/", timeout=2) != 200
        time.sleep(0.02)
    print(f"sent {sent} failed {failed}", flush=True)
