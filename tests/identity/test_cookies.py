"""Cookie attributes outside development."""

from __future__ import annotations

from starlette.responses import Response

from brain.identity.cookies import clear_login_cookies, set_login_cookies
from brain.settings import Settings


def test_cookies_are_secure_outside_development() -> None:
    settings = Settings(env="production", secret_key="s" * 40, _env_file=None)
    response = Response()
    csrf = set_login_cookies(response, token="opaque", settings=settings)
    headers = response.headers.getlist("set-cookie")
    session = next(h for h in headers if h.startswith("brain_session="))
    csrf_cookie = next(h for h in headers if h.startswith("brain_csrf="))
    assert "Secure" in session
    assert "HttpOnly" in session
    assert "SameSite=lax" in session
    assert "Secure" in csrf_cookie
    assert "HttpOnly" not in csrf_cookie
    assert csrf in csrf_cookie
    cleared = Response()
    clear_login_cookies(cleared, settings=settings)
    assert all("Secure" in h and "Max-Age=0" in h for h in cleared.headers.getlist("set-cookie"))
