"""The web console: server-rendered pages under ``/console/`` for the labour bureau's staff,
in Simplified Chinese (English on request).

It is a client of the platform's own API: every page calls the gateway in-process with the
signed-in person's login token, so authentication, roles, rate limits and every rule stay where
they are. Its only state is the session cookie (see :mod:`gateway.console.session`)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gateway.console.config import ConsoleSettings
from gateway.console.routes import (
    activities,
    admin,
    auth,
    dashboard,
    funds,
    notice,
    payments,
    placements,
    postings,
    review,
    store,
    stores,
    workers,
)
from gateway.console.web import ROOT, Console, install_handlers

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
# Installed by `make install` (npm ci, pinned by package-lock.json); never fetched at run time.
HTMX_DIR = HERE / "node_modules" / "htmx.org" / "dist"


def mount_console(app: FastAPI, settings: ConsoleSettings | None = None) -> None:
    app.state.console = Console(settings or ConsoleSettings())
    install_handlers(app)
    for module in (auth, review, funds, admin, payments, dashboard, notice):
        app.include_router(module.router)
    # Bureau, partner, store and onboarding pages.
    for module in (workers, activities, placements, postings, store, stores):
        app.include_router(module.router)
    app.mount(f"{ROOT}/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    app.mount(
        f"{ROOT}/vendor/htmx",
        StaticFiles(directory=HTMX_DIR, check_dir=False),
        name="console-htmx",
    )
