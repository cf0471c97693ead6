"""Fixtures for the email tests: the SMTP sink (importable by other packages from
`tests.smtp_sink`), a self-signed certificate, and settings whose outbox is private to a test."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from brain.core.runtime import Runtime
from brain.settings import Settings
from tests.smtp_sink import make_self_signed_cert, smtp_sink

__all__ = ["smtp_sink"]


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    cert, key = make_self_signed_cert(tmp_path_factory.mktemp("tls"))
    return TlsFiles(cert=cert, key=key)


@pytest.fixture
def email_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The suite's settings with a var dir (so an outbox) of this test's own."""
    return settings.model_copy(
        update={
            "var_dir": tmp_path / "var",
            "public_url": "https://app.brain.test",
            "email_from": "Brain <no-reply@brain.test>",
            "email_backend": "outbox",
        }
    )


@pytest.fixture
def email_runtime(runtime: Runtime, email_settings: Settings) -> Runtime:
    return dataclasses.replace(runtime, settings=email_settings)
