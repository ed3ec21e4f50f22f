"""What every console page shares: the session cookie, the language, the API client, rendering
with the security headers, and the answers to a missing session or a missing CSRF token."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from gateway import service as gateway_service
from gateway.console import formatting
from gateway.console.client import Api, ApiError
from gateway.console.config import ConsoleSettings
from gateway.console.i18n import LANGUAGE_COOKIE, Catalogues, choose_language
from gateway.console.problems import N_, Problem
from gateway.console.session import (
    COOKIE_NAME,
    COOKIE_PATH,
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    SessionCodec,
)
from gateway.dependencies import get_runtime
from gateway.security import issue_staff_token

log = structlog.get_logger("gateway.console")

TEMPLATES_DIR = Path(__file__).parent / "templates"
ROOT = "/console"
# No inline script or style, nothing from another host, no framing, forms post only here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

STATES: dict[str, str] = {
    "pending_verification": N_("Pending verification"),
    "verified": N_("Verified"),
    "in_notice": N_("In public notice"),
    "ready_for_payment": N_("Ready for payment"),
    "in_batch": N_("In a payment batch"),
    "paid": N_("Paid"),
    "failed": N_("Payment failed"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    # payment batches and their lines
    "draft": N_("Draft"),
    "exported": N_("Exported"),
    "reconciled": N_("Reconciled"),
    "discarded": N_("Discarded"),
    "pending": N_("Pending"),
}
ROLES: dict[str, str] = {
    "bureau_clerk": N_("Bureau clerk"),
    "bureau_approver": N_("Bureau approver"),
    "auditor": N_("Auditor"),
    "admin": N_("Administrator"),
    "partner": N_("Partner (Haizhu employer)"),
    "store": N_("Store"),
}
KINDS: dict[str, str] = {
    "employer": N_("Employer"),
    "workshop": N_("Workshop"),
    "worker": N_("Worker"),
    "haizhu_partner": N_("Haizhu partner"),
    "dedicated_post": N_("Dedicated post"),
    "one_off": N_("One-off"),
    "per_person_month": N_("Per person-month"),
}


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: tuple[str, ...]


NAV = (
    NavItem(
        "/console/",
        N_("Home"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin", "partner", "store"),
    ),
    NavItem(
        "/console/applications",
        N_("Review queue"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem(
        "/console/funds",
        N_("Funds and programs"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem(
        "/console/batches", N_("Payments"), ("bureau_clerk", "bureau_approver", "auditor", "admin")
    ),
    NavItem(
        "/console/dashboard",
        N_("Dashboard"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem(
        "/console/notice",
        N_("Public notice"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem("/console/admin/users", N_("Staff users"), ("admin",)),
    NavItem("/console/admin/api-keys", N_("API keys"), ("admin",)),
    # Bureau, partner, store and onboarding pages.
    NavItem(
        "/console/workers", N_("Workers"), ("bureau_clerk", "bureau_approver", "auditor", "admin")
    ),
    NavItem(
        "/console/fairs",
        N_("Fairs and training"),
        ("bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem(
        "/console/postings",
        N_("Job postings"),
        ("partner", "bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem(
        "/console/placements",
        N_("Placements"),
        ("partner", "bureau_clerk", "bureau_approver", "auditor", "admin"),
    ),
    NavItem("/console/store", N_("My store"), ("store",)),
    NavItem("/console/admin/stores", N_("Stores"), ("admin",)),
)


class LoginRequired(Exception):
    """No usable session: go to the login page (``why`` says what to tell the person)."""

    def __init__(self, why: str, next_url: str = "") -> None:
        super().__init__(why)
        self.why = why
        self.next_url = next_url


class CsrfRefused(Exception):
    """A form post without the session's CSRF token."""


class Console:
    """The console's state for the gateway's lifetime."""

    def __init__(self, settings: ConsoleSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        self.catalogues = Catalogues()
        self.environments = {lang: self._environment(lang) for lang in ("zh", "en")}
        self._codec: SessionCodec | None = None

    def _environment(self, language: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(self.catalogues.get(language), newstyle=True)  # type: ignore[attr-defined]
        env.filters.update(
            yuan=formatting.yuan,
            china_time=formatting.china_time,
            basis_points=formatting.basis_points,
        )
        env.globals.update(percent=formatting.percent, ROOT=ROOT)
        return env

    def codec(self, request: Request) -> SessionCodec:
        if self._codec is None:
            given = self.settings.session_secret
            secret = (
                given.get_secret_value()
                if given is not None and given.get_secret_value()
                else get_runtime(request).settings.staff_token_key()
            )
            self._codec = SessionCodec(
                secret, self.settings.idle_minutes * 60, self.settings.max_hours * 3600
            )
        return self._codec

    def now(self) -> int:
        return int(self.clock())


def console_of(request: Request) -> Console:
    console = request.app.state.console
    assert isinstance(console, Console)
    return console


@dataclass
class Web:
    """One page request: who, in which language, with which session and API client."""

    request: Request
    console: Console
    session: Session
    language: str
    api: Api
    form: FormData | None = None
    flash: list[tuple[str, str]] = field(default_factory=list)
    clear_session: bool = False

    def _(self, message: str) -> str:
        translated: str = self.console.catalogues.get(self.language).gettext(message)
        return translated

    def state(self, state: str | None) -> str:
        return self._(STATES[state]) if state in STATES else (state or "")

    def problem(self, error: ApiError, action: str | None = None) -> str:
        if error.problem.status == 401 and action != "login":
            raise LoginRequired("expired")
        return error.problem.message(self._, action)

    @property
    def role(self) -> str:
        return self.session.role

    def has_role(self, *roles: str) -> bool:
        return self.session.role in roles

    def url(self, path: str, **params: Any) -> str:
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)
        return f"{path}?{query}" if query else path

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        env = self.console.environments[self.language]
        nav = [
            (item.path, self._(item.label))
            for item in NAV
            if self.session.signed_in and self.session.role in item.roles
        ]
        html = env.get_template(template).render(
            web=self,
            session=self.session,
            csrf_field=CSRF_FIELD,
            csrf_token=self.session.csrf,
            lang=self.language,
            nav=nav,
            path=self.request.url.path,
            query=str(self.request.url.query),
            state=self.state,
            role_label=lambda r: self._(ROLES[r]) if r in ROLES else r,
            kind_label=lambda k: self._(KINDS[k]) if k in KINDS else k,
            flash=self.flash,
            switch_url=self._switch_url(),
            **context,
        )
        return self.finish(HTMLResponse(html, status_code=status))

    def _switch_url(self) -> str:
        url = self.request.url.include_query_params(lang="en" if self.language == "zh" else "zh")
        return f"{url.path}?{url.query}"

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        secure = self.request.url.scheme == "https" or self.console.settings.secure_cookie
        if self.clear_session:
            response.delete_cookie(
                COOKIE_NAME, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
            )
        else:
            self.session.last_seen = self.console.now()
            response.set_cookie(
                COOKIE_NAME,
                self.console.codec(self.request).dump(self.session),
                path=COOKIE_PATH,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        if self.request.query_params.get("lang") == self.language:
            response.set_cookie(
                LANGUAGE_COOKIE,
                self.language,
                path=COOKIE_PATH,
                max_age=365 * 86400,
                samesite="lax",
                secure=secure,
            )
        return response


def _language(request: Request, console: Console) -> str:
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        console.settings.default_language,
    )


def _web(request: Request, session: Session) -> Web:
    console = console_of(request)
    runtime = get_runtime(request)
    return Web(
        request=request,
        console=console,
        session=session,
        language=_language(request, console),
        api=Api(
            request.app,
            base_url=str(request.base_url).rstrip("/"),
            client_address=runtime.client_address(request.scope),
            token=session.token,
            request_id=request.headers.get("x-request-id"),
        ),
    )


def _load(request: Request) -> tuple[Session | None, str]:
    console = console_of(request)
    return console.codec(request).load(request.cookies.get(COOKIE_NAME), console.now())


async def any_session(request: Request) -> Web:
    """The login page: a session without login is made when there is none (for the CSRF
    token of the login form)."""
    session, _why = _load(request)
    return _web(request, session if session is not None else Session())


def _next_url(request: Request) -> str:
    if request.method != "GET":
        return ""
    path = request.url.path
    return path + ("?" + request.url.query if request.url.query else "")


async def keep_token_fresh(request: Request, session: Session) -> None:
    """A session in use keeps a valid login token: when less than half of the token's life is
    left (or it has expired while the session stayed within its idle limit), a new token is
    issued for the same user — only while the login still stands (the user enabled, the
    password unchanged since the login); otherwise the session ends. The session's role follows
    the user's. So the idle limit, not the token's short life, ends a session."""
    runtime = get_runtime(request)
    ttl = runtime.settings.token_ttl_seconds
    now = console_of(request).now()
    if session.token_expires - now > ttl // 2:
        return
    try:
        user_id = uuid.UUID(session.user_id)
    except ValueError:
        raise LoginRequired("expired") from None
    async with runtime.sessionmaker() as db:
        user = await gateway_service.login_still_valid(db, user_id, session.signed_in_ms)
    if user is None:
        log.info("console_session_ended", reason="login_no_longer_valid")
        raise LoginRequired("expired")
    session.token = issue_staff_token(str(user.id), runtime.settings.staff_token_key(), ttl)
    session.token_expires = now + ttl
    session.role = user.role


async def signed_in(request: Request) -> Web:
    session, why = _load(request)
    if session is None or not session.signed_in:
        raise LoginRequired(why if session is None else "missing", _next_url(request))
    await keep_token_fresh(request, session)
    return _web(request, session)


async def _check_csrf(request: Request, web: Web) -> Web:
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str):
        given = request.headers.get(CSRF_HEADER)
    if not web.session.csrf_ok(given):
        log.warning("console_csrf_refused", path=request.url.path)
        raise CsrfRefused()
    web.form = form
    return web


async def signed_in_post(request: Request) -> Web:
    return await _check_csrf(request, await signed_in(request))


async def any_session_post(request: Request) -> Web:
    session, _why = _load(request)
    if session is None:
        raise CsrfRefused()  # a login form always comes with a session cookie
    return await _check_csrf(request, _web(request, session))


Page = Annotated[Web, Depends(signed_in)]
Post = Annotated[Web, Depends(signed_in_post)]
AnonymousPage = Annotated[Web, Depends(any_session)]
AnonymousPost = Annotated[Web, Depends(any_session_post)]

LOGIN_REASONS = {
    "idle": N_("You were signed out after a period of inactivity. Please log in again."),
    "expired": N_("Your sign-in has expired. Please log in again."),
    "invalid": N_("Please log in."),
    "missing": N_("Please log in."),
}


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"{ROOT}/login?reason={exc.why}"
        if exc.next_url:
            target += "&next=" + quote(exc.next_url, safe="")
        web = _web(request, Session())
        web.clear_session = True
        return web.redirect(target)

    @app.exception_handler(CsrfRefused)
    async def _csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        session, _why = _load(request)
        web = _web(request, session or Session())
        return web.render("refused.html", status=403)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        # An API refusal a page did not handle itself.
        session, _why = _load(request)
        web = _web(request, session or Session())
        if exc.problem.status == 401:
            return await _login_required(request, LoginRequired("expired"))
        return web.render(
            "error.html", status=exc.problem.status, message=exc.problem.message(web._)
        )


def problem_of(error: ApiError) -> Problem:
    return error.problem
