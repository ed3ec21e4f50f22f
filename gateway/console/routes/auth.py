"""Login, logout, the home page and the language switch."""

from fastapi import APIRouter
from fastapi.responses import Response

from gateway.console.client import ApiError
from gateway.console.problems import N_
from gateway.console.session import Session
from gateway.console.web import (
    LOGIN_REASONS,
    ROOT,
    AnonymousPage,
    AnonymousPost,
    Page,
    Post,
    get_runtime,
)
from gateway.security import read_staff_token

router = APIRouter(prefix=ROOT, include_in_schema=False)

LOGGED_OUT = N_("You have logged out.")


def _safe_next(target: str | None) -> str:
    # Only a page of the console: never another host (an open redirect).
    if target and target.startswith(f"{ROOT}/") and not target.startswith("//"):
        return target
    return f"{ROOT}/"


@router.get("/login")
async def login_page(web: AnonymousPage) -> Response:
    if web.session.signed_in:
        return web.redirect(_safe_next(web.request.query_params.get("next")))
    reason = web.request.query_params.get("reason", "")
    message = LOGGED_OUT if reason == "logged_out" else LOGIN_REASONS.get(reason)
    if reason in ("missing", "invalid"):
        message = None  # a first visit needs no explanation
    return web.render(
        "login.html",
        message=web._(message) if message else None,
        next=web.request.query_params.get("next", ""),
        username="",
    )


@router.post("/login")
async def login(web: AnonymousPost) -> Response:
    assert web.form is not None
    username = str(web.form.get("username") or "").strip()
    password = str(web.form.get("password") or "")
    target = _safe_next(str(web.form.get("next") or ""))
    try:
        token = await web.api.post(
            "/v1/auth/login", json={"username": username, "password": password}
        )
        me = await web.api.with_token(token["access_token"]).get("/v1/auth/me")
    except ApiError as error:
        return web.render(
            "login.html",
            status=error.problem.status,
            error=web.problem(error, "login"),
            next=target,
            username=username,
        )
    settings = get_runtime(web.request).settings
    claims = read_staff_token(token["access_token"], settings.staff_token_key())
    # A new session (and CSRF token) at login: nothing of the anonymous one is kept.
    web.session = Session(
        token=token["access_token"],
        token_expires=web.console.now() + int(token["expires_in"]),
        username=username,
        display_name=me.get("name") or username,
        role=me["role"],
        user_id=me["principal_id"],
        signed_in_ms=claims[1] if claims else 0,
    )
    return web.redirect(target)


@router.post("/logout")
async def logout(web: Post) -> Response:
    feed = getattr(web.request.app.state, "feed", None)
    if feed is not None:
        feed.end_session(web.session.csrf)  # the dashboard's live feed of this session ends
    web.clear_session = True
    return web.redirect(f"{ROOT}/login?reason=logged_out")


@router.get("/")
async def home(web: Page) -> Response:
    return web.render("home.html")


@router.get("")
async def home_without_slash(web: Page) -> Response:
    return web.redirect(f"{ROOT}/")
