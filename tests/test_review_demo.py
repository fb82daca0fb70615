"""The end of `certwatch demo`: the sandbox web stays up and the review UI is served with a
demo analyst whose printed password really logs in. The crawls before it are
tests/test_demo.py's job; this runs the demo's serving step alone, in its own process, on a
free UI port (CERTWATCH_UI_PORT)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO

SANDBOX_PORT = 8800  # fixed in certwatch/demo.py
SERVE = ("from certwatch.config import Config; from certwatch.demo import _serve_sandbox; "
         "_serve_sandbox(Config.from_env())")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _login(base: str, name: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=10) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").text).group(1)
        response = client.post("/login", data={"name": name, "password": password,
                                               "csrf_token": token, "next": "/queue"})
        if response.status_code == 303:
            queue = client.get(response.headers["location"])
            assert queue.status_code == 200 and "审核队列" in queue.text
        return response


def test_demo_serves_the_ui_and_its_printed_password_logs_in(tmp_path: Path) -> None:
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", SANDBOX_PORT)) == 0:
            pytest.skip(f"port {SANDBOX_PORT} is taken (a demo already running here?)")
    port = _free_port()
    env = {**os.environ, "CERTWATCH_HOME": str(tmp_path), "CERTWATCH_UI_PORT": str(port)}
    for name in ("CERTWATCH_DB_URL", "CERTWATCH_SECRET"):  # the demo needs neither
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-c", SERVE], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, password = [], None
        deadline = time.monotonic() + 120
        while password is None:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(out)
            assert time.monotonic() < deadline, "".join(out)
            out.append(line)
            found = re.search(r"log in as demo / (\S+) \(analyst", line)
            password = found.group(1) if found else None
        assert f"http://127.0.0.1:{port}/" in "".join(out)  # the port it was asked for
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(out)
                time.sleep(0.2)
        assert _login(base, "demo", password + "x").status_code == 401
        assert _login(base, "demo", password).status_code == 303
        sandbox = httpx.get(f"http://127.0.0.1:{SANDBOX_PORT}/", timeout=5)
        assert sandbox.status_code < 500
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: the demo stops both servers
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
