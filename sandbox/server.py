"""Serve the sandbox: in a background thread (tests, demo, benchmarks) or in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType

from aiohttp import web

from sandbox.handler import SandboxApp
from sandbox.hosts import ALL_HOSTS
from sandbox.truth import DEFAULT_SEED


class SandboxError(RuntimeError):
    """The sandbox server could not start or was used in the wrong state."""


def _server(app: SandboxApp) -> web.Server:
    # Low-level server: no router, no access log (hundreds of requests/s in benchmarks).
    return web.Server(app.handle, access_log=None)


class SandboxServer:
    """Runs the sandbox's aiohttp server in a background thread with its own event loop."""

    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        night: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        slow_seconds: float = 30.0,
        huge_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self.seed = seed
        self.host = host
        self.port = port
        self.app = SandboxApp(seed, night, slow_seconds, huge_bytes)
        self.hosts: list[str] = list(ALL_HOSTS)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.ServerRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def night(self) -> int:
        return self.app.night

    def start(self) -> SandboxServer:
        if self._thread is not None:
            raise SandboxError("sandbox server already started; call stop() first")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None or not self._ready.is_set():
            self._thread.join(timeout=5)
            self._thread = None
            raise SandboxError(f"sandbox server failed to listen on {self.address}: {self._error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._listen())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
            loop.close()

    async def _listen(self) -> None:
        self._runner = web.ServerRunner(_server(self.app), handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._thread = None
        self._loop = None

    def set_night(self, night: int) -> None:
        """Serve another night's content; also resets the rate-limit counters."""
        if night < 1:
            raise SandboxError(f"nights start at 1, got {night}")
        self.app.set_night(night)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_forever(
    host: str = "127.0.0.1", port: int = 8800, seed: int = DEFAULT_SEED, night: int = 1
) -> None:
    """Serve in the foreground until interrupted (`certwatch sandbox serve`)."""
    app = SandboxApp(seed, night, slow_seconds=30.0, huge_bytes=20 * 1024 * 1024)

    async def serve() -> None:
        runner = web.ServerRunner(_server(app))
        await runner.setup()
        site = web.TCPSite(runner, host, port, backlog=1024)
        await site.start()
        bound = runner.addresses[0][1]
        print(
            f"certwatch sandbox listening on {host}:{bound} (seed {seed}, night {night})",
            flush=True,
        )
        print("use it as an HTTP proxy, or map these hosts to it:", flush=True)
        for name in ALL_HOSTS:
            print(f"  {name}", flush=True)
        print(
            f"switch nights: curl -X POST 'http://{host}:{bound}/__sandbox__/night?n=2'", flush=True
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
