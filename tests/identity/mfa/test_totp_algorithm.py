"""HOTP/TOTP against the RFCs' own test vectors, the otpauth URI, the QR code and the
recovery-code format."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest

from brain.identity import mfa

RFC_SEED_SHA1 = b"12345678901234567890"
RFC_SEEDS = {
    "SHA1": RFC_SEED_SHA1,
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}

# RFC 4226 Appendix D: HOTP values for counters 0-9 with the SHA-1 seed.
RFC4226_HOTP = ["755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489"]

# RFC 6238 Appendix B: (time, mode, 8-digit TOTP), X = 30, T0 = 0.
RFC6238_VECTORS = [
    (59, "SHA1", "94287082"), (59, "SHA256", "46119246"), (59, "SHA512", "90693936"),
    (1111111109, "SHA1", "07081804"), (1111111109, "SHA256", "68084774"),
    (1111111109, "SHA512", "25091201"),
    (1111111111, "SHA1", "14050471"), (1111111111, "SHA256", "67062674"),
    (1111111111, "SHA512", "99943326"),
    (1234567890, "SHA1", "89005924"), (1234567890, "SHA256", "91819424"),
    (1234567890, "SHA512", "93441116"),
    (2000000000, "SHA1", "69279037"), (2000000000, "SHA256", "90698825"),
    (2000000000, "SHA512", "38618901"),
    (20000000000, "SHA1", "65353130"), (20000000000, "SHA256", "77737706"),
    (20000000000, "SHA512", "47863826"),
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_rfc4226_appendix_d(counter: int) -> None:
    assert mfa.hotp(RFC_SEED_SHA1, counter) == RFC4226_HOTP[counter]


@pytest.mark.parametrize(("unix_time", "algorithm", "expected"), RFC6238_VECTORS)
def test_totp_rfc6238_appendix_b(unix_time: int, algorithm: str, expected: str) -> None:
    key = RFC_SEEDS[algorithm]
    assert mfa.totp(key, unix_time, digits=8, algorithm=algorithm) == expected


def test_time_steps_of_rfc6238_appendix_b() -> None:
    assert mfa.time_step(59) == 1
    assert mfa.time_step(1111111109) == 0x23523EC
    assert mfa.time_step(1111111111) == 0x23523ED
    assert mfa.time_step(20000000000) == 0x27BC86AA


def test_six_digit_codes_agree_with_pyotp() -> None:
    """An independent implementation (what an authenticator app computes) agrees."""
    secret = mfa.new_totp_secret()
    reference = pyotp.TOTP(secret)
    for unix_time in (0, 59, 1_700_000_000, 1_767_603_615, 2_000_000_000):
        assert mfa.totp(mfa.secret_bytes(secret), unix_time) == reference.at(unix_time)


def test_secrets_are_160_bit_base32() -> None:
    secrets_seen = {mfa.new_totp_secret() for _ in range(50)}
    assert len(secrets_seen) == 50
    for secret in secrets_seen:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert len(mfa.secret_bytes(secret)) == 20
    raw = base64.b32encode(RFC_SEED_SHA1).decode()
    assert mfa.secret_bytes(raw.lower()) == RFC_SEED_SHA1


def test_matching_step_accepts_one_step_either_side_and_never_an_older_step() -> None:
    secret = base64.b32encode(RFC_SEED_SHA1).decode()
    at = datetime.fromtimestamp(1111111111, UTC)
    step = mfa.time_step(at.timestamp())
    key = RFC_SEED_SHA1
    for offset in (-1, 0, 1):
        assert mfa.matching_step(secret, mfa.hotp(key, step + offset), at) == step + offset
    for offset in (-3, -2, 2, 3):
        assert mfa.matching_step(secret, mfa.hotp(key, step + offset), at) is None
    current = mfa.hotp(key, step)
    assert mfa.matching_step(secret, current, at, after=step) is None
    assert mfa.matching_step(secret, current, at, after=step - 1) == step
    assert mfa.matching_step(secret, mfa.hotp(key, step + 1), at, after=step) == step + 1
    for malformed in ("", "12345", "1234567", "12a456", "\uff11\uff12\uff13\uff14\uff15\uff16"):
        assert mfa.matching_step(secret, malformed, at) is None


def test_otpauth_uri_follows_the_key_uri_format() -> None:
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the RFC seed
    uri = mfa.otpauth_uri(secret, "alice+mfa@example.com")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert unquote(parts.path) == "/Brain:alice+mfa@example.com"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"secret": secret, "issuer": "Brain", "algorithm": "SHA1",
                     "digits": "6", "period": "30"}
    parsed = pyotp.parse_uri(uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert parsed.issuer == "Brain"
    assert parsed.name == "alice+mfa@example.com"
    assert parsed.digits == 6
    assert parsed.interval == 30


def test_qr_code_is_a_standalone_svg() -> None:
    svg = mfa.qr_svg(mfa.otpauth_uri(mfa.new_totp_secret(), "alice@example.com"))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<title>" in svg
    assert "<?xml" not in svg


def test_recovery_codes_format_and_normalization() -> None:
    codes = {mfa.new_recovery_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}", code)
    key = b"k" * 32
    code = "ab0c1-de2f3"
    expected = mfa.recovery_code_hash(key, code)
    for typed in ("AB0C1-DE2F3", "ab0c1de2f3", " ab0c1 de2f3 ", "abOc1-de2f3", "ab0cl-de2f3",
                  "ab0ci-de2f3"):
        assert mfa.recovery_code_hash(key, typed) == expected
    assert mfa.recovery_code_hash(b"x" * 32, code) != expected
    assert len(expected) == 64
    assert code not in expected
