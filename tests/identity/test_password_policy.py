"""The password policy and the shipped common-password list."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from brain.identity.password_policy import (
    COMMON_PASSWORDS_FILE,
    check_password,
    common_passwords,
    normalize_password,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("a" * 11, "too_short"),
        ("x" * 129, "too_long"),
        ("1qaz2wsx3edc", "common"),
        ("QWERTY123456", "common"),  # case-insensitive
        ("password1234", "common"),  # a common password with digits after it
        ("!!dragon2024!!", "common"),
        ("monkey-12345678", "common"),
        ("zzzzzzzzzzzzzz", "repetitive"),
        ("abababababab", "repetitive"),
        ("abcdefghijklmn", "repetitive"),
        ("98765432109876", "repetitive"),
        ("zxcvbnmqwertyu", "repetitive"),
    ],
)
def test_refused(password: str, code: str) -> None:
    violation = check_password(password)
    assert violation is not None
    assert violation.code == code
    assert password not in violation.message


def test_email_local_part_and_name_are_refused() -> None:
    assert check_password("i-am-jdoe-really", email="jdoe@example.com").code == "contains_email"  # type: ignore[union-attr]
    assert check_password("Smith-the-great-1", name="Jane Smith").code == "contains_name"  # type: ignore[union-attr]
    assert check_password("janesmith-rules-9", name="Jane Smith").code == "contains_name"  # type: ignore[union-attr]
    # Short local parts and name parts are not looked for.
    assert check_password("an-orange-banana-7", email="an@example.com", name="Ana Li") is None


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "violet-Harbor-lantern-93", "Tr0ub4dor&3-extended",
     "ñandú-corre-rápido-2026", "x" * 6 + "yzabc" + "q"],
)
def test_accepted(password: str) -> None:
    assert check_password(password, email="someone@example.com", name="Ana Torres") is None


def test_normalization_is_nfkc() -> None:
    assert normalize_password("ﬁle-cabinet-42") == "file-cabinet-42"
    assert normalize_password("Cafe\u0301-au-lait-99") == "Café-au-lait-99"


def test_shipped_list_has_provenance_and_10k_entries() -> None:
    text = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("zxcvbn" in line for line in header)
    assert any("MIT" in line for line in header)
    words = common_passwords()
    assert len(words) == 10_000
    assert {"123456", "password", "qwerty"} <= words
    assert all(w == w.lower() for w in words)


def test_build_script_regenerates_the_same_list(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_common_passwords", ROOT / "scripts" / "build_common_passwords.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = [line for line in COMMON_PASSWORDS_FILE.read_text().splitlines()
               if line and not line.startswith("#")]
    assert module.common_passwords(10_000) == shipped
