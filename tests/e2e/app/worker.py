"""A background worker the command's shell starts: on SIGTERM it needs 1 s
to flush what it holds, then says so."""

import signal
import sys
import time


def stop(*_):
    time.sleep(1)
    print("worker: flushed", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print("worker: ready", flush=True)
while True:
    time.sleep(3600)
