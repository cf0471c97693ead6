"""Email templates: English and Spanish, links carrying `token=`, HTML escaped, text not."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from brain.core.email import (
    TEMPLATES,
    TemplateContextError,
    build_action_link,
    describe_duration,
    render_email,
    resolve_locale,
)

PUBLIC_URL = "https://app.brain.test"
TOKEN = "tok_Ab-9_z.~/+= x"  # characters a URL must encode


def context_for(template: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"public_url": PUBLIC_URL, "token": TOKEN, "recipient_name": "Ana"}
    if template == "invite":
        base |= {"organization_name": "Acme Beauty", "inviter_name": "Bruno"}
    if template == "notification":
        base = {"title": "Weekly report ready", "body": "Your report is ready.",
                "recipient_name": "Ana"}
    return base | extra


def link_in(text: str) -> str:
    return next(word for word in text.split() if word.startswith(PUBLIC_URL))


@pytest.mark.parametrize(
    ("template", "path"),
    [("verify_email", "/verify"), ("reset_password", "/reset-password"), ("invite", "/invite")],
)
@pytest.mark.parametrize("locale", ["en", "es"])
def test_action_link_carries_the_token(template: str, path: str, locale: str) -> None:
    subject, text, html = render_email(template, locale, context_for(template))
    link = urlsplit(link_in(text))
    assert (link.scheme, link.netloc, link.path) == ("https", "app.brain.test", path)
    assert parse_qs(link.query) == {"token": [TOKEN]}
    assert "token=" in link.query
    # The same link is in the HTML (attribute-escaped), both as button and as plain text.
    escaped = link_in(text).replace("&", "&amp;")
    assert html.count(f'href="{escaped}"') == 2
    assert TOKEN not in subject


EXPECTED_WORDS = {
    ("verify_email", "en"): ("Confirm your email address", "Thanks for signing up",
                             "expires in 24 hours"),
    ("verify_email", "es"): ("Confirma tu dirección de correo", "Gracias por registrarte",
                             "caduca en 24 horas"),
    ("reset_password", "en"): ("Reset your Brain password", "reset the password",
                               "expires in 1 hour"),
    ("reset_password", "es"): ("Restablece tu contraseña", "restablecer la contraseña",
                               "caduca en 1 hora"),
    ("invite", "en"): ("Bruno invited you to join Acme Beauty on Brain", "invited you",
                       "expires in 7 days"),
    ("invite", "es"): ("Bruno te ha invitado a unirte a Acme Beauty en Brain",
                       "te ha invitado", "caduca en 7 días"),
    ("notification", "en"): ("Weekly report ready", "Hi Ana,", "The Brain team"),
    ("notification", "es"): ("Weekly report ready", "Hola, Ana:", "El equipo de Brain"),
}


@pytest.mark.parametrize(("template", "locale"), sorted(EXPECTED_WORDS))
def test_subject_and_body_are_in_the_locale(template: str, locale: str) -> None:
    subject, text, html = render_email(template, locale, context_for(template))
    subject_words, body_words, expiry_words = EXPECTED_WORDS[(template, locale)]
    assert subject_words in subject
    assert body_words in text
    assert expiry_words in text
    assert f'<html lang="{locale}">' in html
    assert "\n" not in subject


def test_greeting_names_the_recipient_or_not() -> None:
    _, text_en, _ = render_email("verify_email", "en", context_for("verify_email"))
    _, text_es, _ = render_email("verify_email", "es", context_for("verify_email"))
    assert text_en.startswith("Hi Ana,\n\nThanks")
    assert text_es.startswith("Hola, Ana:\n\nGracias")
    _, anonymous, _ = render_email("verify_email", "en",
                                   context_for("verify_email", recipient_name=""))
    assert anonymous.startswith("Hi,\n\n")


@pytest.mark.parametrize(("locale", "expected"), [
    (None, "en"), ("", "en"), ("fr", "en"), ("EN-gb", "en"), ("es", "es"), ("es-MX", "es"),
    ("es_ES", "es"), ("ES", "es"),
])
def test_locale_resolution(locale: str | None, expected: str) -> None:
    assert resolve_locale(locale) == expected


def test_unknown_locale_falls_back_to_english() -> None:
    assert render_email("reset_password", "de", context_for("reset_password")) == \
        render_email("reset_password", "en", context_for("reset_password"))


def test_html_is_escaped_and_text_is_not() -> None:
    context = context_for(
        "invite",
        recipient_name='<script>alert("x")</script>',
        organization_name="Smith & Sons <b>",
        inviter_name="Eve \"the boss\"",
    )
    subject, text, html = render_email("invite", "en", context)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Smith &amp; Sons &lt;b&gt;" in html
    assert "Eve &#34;the boss&#34;" in html
    assert '<script>alert("x")</script>' in text
    assert "Smith & Sons <b>" in subject


def test_notification_body_paragraphs_are_escaped() -> None:
    _, text, html = render_email("notification", "en", {
        "title": "Import finished", "body": "First <i>line</i>.\n\nSecond line.",
        "action_url": "https://app.brain.test/imports/1", "action_label": "See import",
    })
    assert "<p>First &lt;i&gt;line&lt;/i&gt;.</p>" in html
    assert "<p>Second line.</p>" in html
    assert "See import: https://app.brain.test/imports/1" in text
    assert 'href="https://app.brain.test/imports/1"' in html


def test_subject_stays_on_one_line() -> None:
    subject, _, _ = render_email("invite", "en", context_for(
        "invite", organization_name="Acme\r\nBcc: victim@example.com"))
    assert "\n" not in subject
    assert "\r" not in subject
    assert subject == "Bruno invited you to join Acme Bcc: victim@example.com on Brain"


def test_expiry_wording_follows_the_context() -> None:
    _, text, _ = render_email("verify_email", "es",
                              context_for("verify_email", expires_in_minutes=90))
    assert "caduca en 90 minutos" in text
    _, text, _ = render_email("reset_password", "en",
                              context_for("reset_password", expires_in_minutes=30))
    assert "expires in 30 minutes" in text


@pytest.mark.parametrize(("minutes", "locale", "expected"), [
    (1, "en", "1 minute"), (45, "es", "45 minutos"), (60, "en", "1 hour"),
    (120, "es", "2 horas"), (1440, "en", "24 hours"), (2880, "en", "2 days"),
    (10080, "es", "7 días"), (1441, "en", "1441 minutes"),
])
def test_describe_duration(minutes: int, locale: str, expected: str) -> None:
    assert describe_duration(minutes, locale) == expected


def test_action_link_keeps_a_base_path_and_encodes_the_token() -> None:
    link = build_action_link("https://example.com/app/", "/verify", "a b&c=d")
    assert link == "https://example.com/app/verify?token=a%20b%26c%3Dd"
    assert parse_qs(urlsplit(link).query) == {"token": ["a b&c=d"]}
    with pytest.raises(ValueError, match="absolute"):
        build_action_link("example.com", "/verify", "t")


def test_explicit_action_url_is_used_and_must_be_http() -> None:
    _, text, _ = render_email("verify_email", "en", {
        "action_url": "https://other.test/verify?token=abc"})
    assert "https://other.test/verify?token=abc" in text
    with pytest.raises(TemplateContextError, match="http"):
        render_email("verify_email", "en", {"action_url": "javascript:alert(1)"})


@pytest.mark.parametrize(("template", "context", "message"), [
    ("verify_email", {"recipient_name": "Ana"}, "token and public_url"),
    ("invite", {"public_url": PUBLIC_URL, "token": "t", "inviter_name": "B"},
     "organization_name"),
    ("notification", {"title": "only a title"}, "body"),
    ("no_such_template", {}, "unknown email template"),
])
def test_missing_context_is_an_error_naming_keys_not_values(
    template: str, context: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateContextError, match=message) as info:
        render_email(template, "en", context)
    assert "Ana" not in str(info.value)


def test_every_template_exists_in_every_locale() -> None:
    for template in TEMPLATES:
        for locale in ("en", "es"):
            subject, text, html = render_email(template, locale, context_for(template))
            assert subject
            assert text.strip()
            assert html.startswith("<!DOCTYPE html>")
