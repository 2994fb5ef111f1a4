"""The service of the story rinit exists for: a FastAPI app run by gunicorn
with uvicorn workers. `/` answers at once, `/slow` after 1 s; its lifespan
shutdown hook says when the worker has shut down cleanly."""

import asyncio
import contextlib
import sys

from fastapi import FastAPI


@contextlib.asynccontextmanager
async def lifespan(app):
    print("app: ready", flush=True)
    yield
    print("app: lifespan shutdown hook ran", file=sys.stderr, flush=True)


app = FastAPI(lifespan=lifespan)


@app.get("/")
async def root():
    return {"ok": True}


@app.get("/slow")
async def slow():
    await asyncio.sleep(1)
    return {"ok": True, "slow": True}
