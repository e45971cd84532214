"""The platform served from a child process for the benchmarks that load it over sockets.

A bench module re-runs itself with ``--serve PORT --data-dir DIR`` (plus its own options);
the child serves an embedded platform and prints one JSON line once it listens, so the
load generator in the parent never shares the server's interpreter lock.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from bankchat.config import Settings

# Benchmark data only: a fixed key so the child needs no key file.
MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_settings(port: int, data_dir: Path) -> Settings:
    """The child's settings: light password hashing, the fixed key, quiet logs."""
    from pydantic import SecretStr

    from bankchat.config import Settings

    return Settings(
        data_dir=data_dir,
        port=port,
        password_hash_profile="light",
        master_key=SecretStr(MASTER_KEY),
        log_level="WARNING",
    )


async def serve_until_stopped(app: FastAPI, port: int, **ready: Any) -> None:
    """Serve ``app`` with the product's server settings; print the ready line once listening
    (port, PID and whatever ``ready`` adds)."""
    from bankchat.server import uvicorn_server

    server = uvicorn_server(app, host="127.0.0.1", port=port, log_level="warning")
    server.config.access_log = False
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.05)
    print(json.dumps({"port": port, "pid": os.getpid(), **ready}), flush=True)
    await task


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    pid: int
    data_dir: tempfile.TemporaryDirectory[str]
    ready: dict[str, Any]  # the child's ready line


def start_platform(module: str, options: list[str], *, env: dict[str, str] | None = None) -> Served:
    """Run ``python -m module --serve PORT --data-dir DIR *options`` and wait until it serves."""
    data_dir = tempfile.TemporaryDirectory(prefix=f"bankchat-{module.replace('.', '-')}-")
    port = free_port()
    command = [sys.executable, "-m", module, "--serve", str(port), "--data-dir", data_dir.name]
    process = subprocess.Popen([*command, *options], stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait()
        data_dir.cleanup()
        raise RuntimeError("the platform process exited before serving")
    ready = json.loads(line)
    return Served(process, f"http://127.0.0.1:{ready['port']}", int(ready["pid"]), data_dir, ready)


def stop_platform(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()
    served.data_dir.cleanup()
