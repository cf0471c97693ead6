"""The login cookies: the session token (HttpOnly) and the CSRF double-submit token."""

from __future__ import annotations

from starlette.responses import Response

from brain.identity.sessions import CSRF_COOKIE, SESSION_COOKIE, new_csrf_token
from brain.settings import Settings


def set_login_cookies(response: Response, *, token: str, settings: Settings) -> str:
    """Set the session and CSRF cookies on `response`; returns the CSRF token."""
    csrf = new_csrf_token()
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, secure=settings.cookie_secure,
        samesite="lax", path="/",
    )
    # Readable by the web app's JavaScript, which echoes it in X-CSRF-Token.
    response.set_cookie(
        CSRF_COOKIE, csrf, httponly=False, secure=settings.cookie_secure,
        samesite="lax", path="/",
    )
    return csrf


def clear_login_cookies(response: Response, *, settings: Settings) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=settings.cookie_secure, samesite="lax")
