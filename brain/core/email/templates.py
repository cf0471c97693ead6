"""Email templates: subject, text and HTML per locale (English, Spanish), rendered by Jinja2
with HTML autoescaping; links to the web app carry the token in their query string."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "es")
DEFAULT_PRODUCT_NAME = "Brain"


@dataclass(frozen=True)
class TemplateSpec:
    """What a template needs: the web-app path its link opens, required context keys, and the
    default lifetime of its link (minutes) used for the expiry wording."""

    name: str
    link_path: str | None
    required: tuple[str, ...] = ()
    default_expiry_minutes: int | None = None


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        TemplateSpec("verify_email", "/verify", default_expiry_minutes=24 * 60),
        TemplateSpec("reset_password", "/reset-password", default_expiry_minutes=60),
        TemplateSpec("invite", "/invite", ("organization_name", "inviter_name"),
                     default_expiry_minutes=7 * 24 * 60),
        TemplateSpec("notification", None, ("title", "body")),
    )
}


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str


class TemplateContextError(ValueError):
    """The context lacks what the template needs (the message names keys, never values)."""


def resolve_locale(locale: str | None) -> str:
    """`es-MX`, `es_ES`, `ES` → `es`; anything unsupported → `en`."""
    if not locale:
        return DEFAULT_LOCALE
    language = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].lower()
    return language if language in SUPPORTED_LOCALES else DEFAULT_LOCALE


def build_action_link(public_url: str, path: str, token: str) -> str:
    """`{public_url}{path}?token=<token>` with the token URL-encoded (a base path is kept)."""
    base = urlsplit(public_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ValueError("public_url must be an absolute http(s) URL")
    full_path = base.path.rstrip("/") + "/" + path.lstrip("/")
    query = urlencode({"token": token}, quote_via=quote)
    return urlunsplit((base.scheme, base.netloc, full_path, query, ""))


_UNITS = {
    "en": {"day": ("day", "days"), "hour": ("hour", "hours"), "minute": ("minute", "minutes")},
    "es": {"day": ("día", "días"), "hour": ("hora", "horas"), "minute": ("minuto", "minutos")},
}


def describe_duration(minutes: int, locale: str) -> str:
    """`10080` → "7 days" / "7 días"; whole days from two days up, else hours, else minutes."""
    if minutes <= 0:
        raise ValueError("a duration must be positive")
    if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
        count, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    singular, plural = _UNITS[resolve_locale(locale)][unit]
    return f"{count} {singular if count == 1 else plural}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html",), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TemplateContextError("action_url must be an absolute http(s) URL")
    return url


def template_context(template: str, locale: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """The context a template renders with: defaults filled, the link built from the token."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise TemplateContextError(f"unknown email template {template!r}")
    values: dict[str, Any] = {
        "product_name": DEFAULT_PRODUCT_NAME,
        "recipient_name": "",
        "action_url": "",
        "action_label": "",
        **{key: value for key, value in context.items() if key not in ("token", "public_url")},
        "locale": locale,
    }
    if spec.link_path is not None and not values["action_url"]:
        token, public_url = context.get("token"), context.get("public_url")
        if not token or not public_url:
            raise TemplateContextError(
                f"template {template!r} needs action_url, or token and public_url"
            )
        values["action_url"] = build_action_link(str(public_url), spec.link_path, str(token))
    if values["action_url"]:
        values["action_url"] = _check_url(str(values["action_url"]))
    missing = [key for key in spec.required if not values.get(key)]
    if missing:
        raise TemplateContextError(f"template {template!r} needs {', '.join(missing)}")
    if "expiry" not in values:
        minutes = context.get("expires_in_minutes", spec.default_expiry_minutes)
        values["expiry"] = describe_duration(int(minutes), locale) if minutes else ""
    if template == "notification":
        values["paragraphs"] = [
            _one_line(part) for part in re.split(r"\n\s*\n", str(values["body"])) if part.strip()
        ]
    return values


def render_email(
    template: str, locale: str | None, context: Mapping[str, Any]
) -> RenderedEmail:
    """(subject, text, html) of `template` in `locale` (unknown locales fall back to English).

    The context may carry `action_url`, or `token` and `public_url` from which the link is
    built; `recipient_name`, `product_name`, `expires_in_minutes` (or a ready `expiry`);
    `organization_name` and `inviter_name` for invites; `title`, `body`, `action_label`
    for notifications.
    """
    language = resolve_locale(locale)
    values = template_context(template, language, context)
    environment = _environment()
    try:
        subject = _one_line(
            environment.get_template(f"{language}/{template}.subject.txt").render(values)
        )
        values["subject"] = subject
        text = environment.get_template(f"{language}/{template}.txt").render(values)
        html = environment.get_template(f"{language}/{template}.html").render(values)
    except jinja2.UndefinedError as exc:
        raise TemplateContextError(f"template {template!r}: {exc.message}") from None
    return RenderedEmail(subject=subject, text=text, html=html)
