"""The password policy (NIST SP 800-63B §3.1.1.2 / OWASP ASVS 5.0 level 2): 12 to 128
characters, no composition rules, and refused when it is a common password (the shipped list,
also with only digits or symbols around it), a run of few distinct characters or a keyboard
sequence, or when it contains the email's local part or the user's name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from brain.identity.passwords import MAX_LENGTH, MIN_LENGTH

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
# Fewer distinct characters than this is a repetition ("aaaaaaaaaaaa", "abababababab").
_MIN_DISTINCT = 5
# A common password with only digits, punctuation or spaces before or after it.
_AFFIX = re.compile(r"^[\W\d_]*(?P<core>.*?)[\W\d_]*$", re.DOTALL)
_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
# Name parts shorter than this are not looked for (too many passwords contain "ana").
_MIN_NAME_PART = 4
_MIN_LOCAL_PART = 3


@dataclass(frozen=True)
class PolicyViolation:
    """Why a password was refused; never contains the password."""

    code: str
    message: str


def normalize_password(password: str) -> str:
    """NFKC, so the same password typed on different keyboards hashes the same."""
    return unicodedata.normalize("NFKC", password)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-case)."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_sequence(text: str) -> bool:
    if len(text) < MIN_LENGTH:
        return False
    for alphabet in _SEQUENCES:
        for source in (alphabet, alphabet[::-1]):
            doubled = source * (len(text) // len(source) + 2)
            if text in doubled:
                return True
    return False


def _is_common(lowered: str) -> bool:
    words = common_passwords()
    if lowered in words:
        return True
    match = _AFFIX.match(lowered)
    core = match.group("core") if match else lowered
    return bool(core) and core in words and len(core) >= 4


def _name_parts(name: str | None) -> list[str]:
    if not name:
        return []
    lowered = name.lower()
    parts = [p for p in re.split(r"[\W_]+", lowered) if len(p) >= _MIN_NAME_PART]
    joined = re.sub(r"[\W_]+", "", lowered)
    if len(joined) >= _MIN_NAME_PART:
        parts.append(joined)
    return parts


def check_password(
    password: str, *, email: str | None = None, name: str | None = None
) -> PolicyViolation | None:
    """The first rule `password` breaks, or None when it is acceptable."""
    password = normalize_password(password)
    if len(password) < MIN_LENGTH:
        return PolicyViolation("too_short", f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        return PolicyViolation("too_long", f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    if _is_common(lowered):
        return PolicyViolation(
            "common", "This password is too common; choose one that is hard to guess."
        )
    if len(set(lowered)) < _MIN_DISTINCT or _is_sequence(lowered):
        return PolicyViolation(
            "repetitive", "Avoid repeated characters and keyboard or alphabet sequences."
        )
    if email:
        local = email.rsplit("@", 1)[0].lower()
        if len(local) >= _MIN_LOCAL_PART and local in lowered:
            return PolicyViolation("contains_email", "The password must not contain your email.")
    compact = re.sub(r"[\W_]+", "", lowered)
    for part in _name_parts(name):
        if part in lowered or part in compact:
            return PolicyViolation("contains_name", "The password must not contain your name.")
    return None
