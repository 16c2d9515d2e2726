"""The FastAPI application factory. ``uvicorn cstassist.api.app:app`` serves it; nothing heavy happens
at import time: the model and index load once, in the lifespan, when the server starts."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from cstassist import __version__
from cstassist.assistant import Assistant
from cstassist.locking import DataDirLock
from cstassist.parsing import OFFLINE_ENV
from cstassist.settings import Settings

from . import errors, routes_access, routes_admin, routes_admin_insights, routes_docs, routes_query, routes_site
from .console import Console
from .observability import JsonFormatter, Metrics, RequestMiddleware
from .services import Services


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("cstassist", "cstassist.access"):
        lg = logging.getLogger(name)
        lg.handlers = [handler]
        lg.setLevel(logging.INFO)
        lg.propagate = False


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """Build the app. Pass ``settings`` (and optionally a ready ``assistant``) in tests."""
    import os

    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cfg = settings or Settings()
        lock = None if cfg.chroma.url else DataDirLock(cfg.data_dir, exclusive=False, what="serve").acquire()
        services = Services.start(cfg, assistant)
        services.metrics = metrics
        app.state.services = services
        app.state.console = Console(cfg, services.assistant, services.keys, lock)
        try:
            yield
        finally:
            app.state.console.close()
            services.assistant.index.stop_watching()
            if lock:
                lock.release()

    _configure_logging()
    # Swagger UI's assets come from the fastapi-offline package, so /docs works offline and calls no one:
    # no validator badge (validator.swagger.io), and no ReDoc page (its bundle fetches its logo from a CDN)
    app: FastAPI = FastAPIOffline(
        redoc_url=None,
        title="cstassist",
        version=__version__,
        description="Cited answers from the Confederation of School Trusts' governance papers.",
        lifespan=lifespan,
        swagger_ui_parameters={"validatorUrl": None},
    )
    _declare_security(app)
    errors.install(app)
    routers = [m.router for m in (routes_query, routes_docs, routes_access, routes_site, routes_admin)]
    routers += [routes_admin.api, routes_admin_insights.api, routes_admin.fallback]
    for router in routers:
        app.include_router(router)
    cfg_for_middleware = settings or Settings()
    if cfg_for_middleware.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cfg_for_middleware.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-CSTAssist-Session"],
            expose_headers=["Retry-After", "X-Request-ID", "X-CSTAssist-Session"],
        )
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body=cfg_for_middleware.limits.max_body_bytes,
        max_head=cfg_for_middleware.limits.max_header_bytes,
        # every route the app serves, admin included, as the routers declare them (metrics labels; the app's own
        # list holds FastAPI's wrappers of included routers, which carry no path)
        routes=[r for router in routers for r in router.routes],
        # a paper upload may be as large as an ingested file (plus the form around it); nothing else may
        large_bodies={"/v1/admin/documents": int(cfg_for_middleware.limits.max_file_mb * 2**20) + 64 * 1024},
    )
    return app


SECURITY_SCHEMES = {
    "memberToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "A member token from POST /v1/token (or an API key sent the same way). Without one: public papers only.",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key from `cstassist keys create` (a public or members key; sent by servers, never by browsers).",
    },
}


def _declare_security(app: FastAPI) -> None:
    """Declare the two credentials in the OpenAPI document, so /docs offers an Authorize button. Each is
    optional (``{}`` in ``security``): an anonymous caller reads public papers; deps.py checks what is sent."""
    build = app.openapi

    def openapi() -> dict:  # type: ignore[type-arg]
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{}, {"memberToken": []}, {"apiKey": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


app = create_app()
