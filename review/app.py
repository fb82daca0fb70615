"""FastAPI application factory: routers, templates, security headers, error pages."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from review import labels
from review.app_time import cst
from review.decisions import CATEGORIES
from review.deps import CsrfFailed, Forbidden, LoginRequired, PageError, User, login_redirect
from review.facets import facet_values, sync_listing_facets
from review.settings import ReviewSettings
from review.summary import LEVEL_NAMES

HERE = Path(__file__).parent
log = logging.getLogger(__name__)

# No inline script or style anywhere: the pages load app.js and style.css from here only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
FACET_REFRESH_SECONDS = 120.0


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["cst"] = cst
    env.globals.update(LABELS=labels.LABELS_ZH, STATUSES=labels.STATUSES_ZH,
                       ACTIONS=labels.ACTIONS_ZH, ROLES=labels.ROLES_ZH,
                       KINDS=labels.KINDS_ZH, EVENTS=labels.EVENTS_ZH,
                       AUDIT=labels.AUDIT_ZH, FIELDS=labels.FIELDS_ZH, CATEGORIES=CATEGORIES,
                       LEVELS=LEVEL_NAMES)
    return Jinja2Templates(env=env)


class FacetSync:
    """Refreshes filter facets in the background so no page request pays for it."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.stop = app, threading.Event()
        self.thread = threading.Thread(target=self._run, name="facet-sync", daemon=True)

    def refresh(self) -> None:
        engine = self.app.state.engine
        sync_listing_facets(engine)
        self.app.state.facet_options = {name: facet_values(engine, name)
                                        for name in ("region", "city", "cert")}

    def _run(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:  # a busy or briefly unreachable database: try next round
                log.exception("facet refresh failed")
            if self.stop.wait(FACET_REFRESH_SECONDS):
                return


def create_app(engine: Engine, settings: ReviewSettings, home: Path | None = None,
               background: bool = True) -> FastAPI:
    """`home` is CERTWATCH_HOME: raw bodies and WARC captures are read from under it."""
    settings.check()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sync = FacetSync(app)
        if background:
            # A first build on a large store takes a while: serve meanwhile (the region and
            # certificate filters fill in when it is done).
            sync.thread.start()
        else:
            sync.refresh()
        yield
        sync.stop.set()

    app = FastAPI(title="certwatch 审核平台", version="1", lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.home = home
    app.state.bodies_dir = home / "bodies" if home else None
    app.state.templates = _templates()
    app.state.facet_options = {"region": [], "city": [], "cert": []}
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    from review.routes import (
        audit,
        auth,
        contacts,
        dashboard,
        decisions,
        evidence,
        listings,
        queue,
        sites,
        users,
    )
    from review.routes import summary as summary_routes

    for module in (auth, queue, listings, contacts, decisions, dashboard, summary_routes,
                   audit, users, evidence, sites):
        app.include_router(module.router)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_schema(user: User) -> JSONResponse:
        # The map of every route is for the team's own tools, not for whoever finds the host.
        if not user.at_least("supervisor"):
            raise Forbidden("接口说明仅供主管和管理员使用。")
        return JSONResponse(app.openapi())

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        response: Response = await call_next(request)
        headers = response.headers
        # Server time of the request (bench/review.py reads it; browsers show it).
        headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        # The raw-page route sets its own, stricter policy.
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(login_redirect(exc.next_url), status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return _error_page(request, 403, "请求缺少有效的安全令牌（CSRF），请刷新页面后重试。")

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        return _error_page(request, exc.status, exc.message)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, exc.message)

    return app


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"user": user, "csrf_token": user.csrf_token if user else "",
                                "status": status, "message": message}, status_code=status)
