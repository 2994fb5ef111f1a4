"""Load for tests/e2e/apps.sh: clients of 1 s requests, as a load balancer
sends them, and what became of each. Python 3, standard library only.

    load.py wait PORT PID       until GET / on 127.0.0.1:PORT answers 200;
                                fails when process PID is gone first, or
                                after 60 s (a JVM compiles its source first)
    load.py get PORT            one GET /: prints its outcome
    load.py run PORT N OUT      N clients, started 1/N s apart, each sending
                                GET /slow (1 s on the server) on a new
                                connection, one after the other, until its
                                connect is refused (the load balancer has
                                taken the endpoint out) or 60 s passed;
                                OUT gets a line per request:
                                "START END OUTCOME" (wall-clock seconds)
    load.py count OUT T_STOP [T_HUP]
                                prints "KEY=VALUE" lines for the shell: the
                                requests that ended before the stop (the
                                reload's, when there was a HUP) and from the
                                stop on, each as failed and total, how many
                                were in flight when the stop was sent, the
                                failures by kind, and the 200s that came in
                                under 0.9 s (a server that cut its 1 s short)

An outcome is 200, http-NNN (any other status), reset (the connection was
reset or closed before the whole answer came: in flight or accepted, and
lost), timeout, refused (connect refused: not a request) or the name of
another error. A refused connect before the stop is a failure too: the
server went away while it was meant to serve.
"""

import http.client
import os
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
TIMEOUT = 5  # the slowest answer is 1 s; a stop that hangs a request is a failure
RUN_FOR = 60

RESETS = (
    ConnectionResetError,
    ConnectionAbortedError,
    BrokenPipeError,
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
)


def request(port, path):
    """One GET on a new connection: its outcome, as the module doc says."""
    conn = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            return "refused"
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        resp.read()
        return "200" if resp.status == 200 else f"http-{resp.status}"
    except socket.timeout:
        return "timeout"
    except RESETS:
        return "reset"
    except OSError as e:
        return type(e).__name__
    finally:
        conn.close()


def run(port, n, out):
    lines = []
    lock = threading.Lock()
    end = time.monotonic() + RUN_FOR

    def client(i):
        time.sleep(i / n)
        while time.monotonic() < end:
            start = time.time()
            outcome = request(port, "/slow")
            with lock:
                lines.append(f"{start:.3f} {time.time():.3f} {outcome}\n")
            if outcome == "refused":
                return

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        f.writelines(sorted(lines))


def count(out, t_stop, t_hup=None):
    before = [0, 0]  # failed, total
    after = [0, 0]
    in_flight = 0
    quick = 0
    kinds = {}
    with open(out) as f:
        for line in f:
            start, end, outcome = line.split()
            start, end = float(start), float(end)
            if outcome == "refused" and end >= t_stop:
                continue  # taken out of the load balancer: not a request
            if start < t_stop < end:
                in_flight += 1
            side = before if end < t_stop else after
            side[1] += 1
            if outcome == "200" and end - start < 0.9:
                quick += 1
            if outcome != "200":
                side[0] += 1
                kinds[outcome] = kinds.get(outcome, 0) + 1
    print(f"reload_failed={before[0] if t_hup else '-'}")
    print(f"reload_total={before[1] if t_hup else '-'}")
    # Without a reload, the whole run counts for the stop.
    if not t_hup:
        after = [before[0] + after[0], before[1] + after[1]]
    print(f"stop_failed={after[0]}")
    print(f"stop_total={after[1]}")
    print(f"in_flight={in_flight}")
    print(f"quick={quick}")
    print("kinds=" + (",".join(f"{k}:{v}" for k, v in sorted(kinds.items())) or "-"))


def main():
    what, port = sys.argv[1], sys.argv[2]
    if what == "wait":
        deadline = time.monotonic() + 60
        while request(port, "/") != "200":
            if time.monotonic() > deadline or not os.path.exists(f"/proc/{sys.argv[3]}"):
                sys.exit("load.py: the app never answered")
            time.sleep(0.1)
    elif what == "get":
        print(request(port, "/"))
    elif what == "run":
        run(port, int(sys.argv[3]), sys.argv[4])
    elif what == "count":
        out = sys.argv[2]
        t_hup = float(sys.argv[4]) if len(sys.argv) > 4 else None
        count(out, float(sys.argv[3]), t_hup)
    else:
        sys.exit(f"load.py: unknown {what}")


main()
