"""AWS Signature Version 4 for HTTP requests, built from AWS's description of the process:
a canonical request, a string to sign over its hash, a signing key derived from the secret by a
chain of HMACs (date → region → service → "aws4_request"), and the Authorization header."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "-_.~"
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def amz_date(moment: datetime) -> str:
    """`20150830T123600Z` (UTC)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def canonical_uri(path: str, *, double_encode: bool = True) -> str:
    """Each path segment URI-encoded (again, for every service but S3); `/` when empty."""
    if not path:
        return "/"
    if not double_encode:
        return path
    return "/".join(quote(segment, safe=_UNRESERVED) for segment in path.split("/"))


def canonical_query(query: str) -> str:
    """Parameters URI-encoded, sorted by name then value, joined with `&`."""
    pairs = [
        (quote(name, safe=_UNRESERVED), quote(value, safe=_UNRESERVED))
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """(`name:value\\n` lines sorted by lower-cased name, `name;name` of the signed headers)."""
    normalized: dict[str, str] = {}
    for name, value in headers.items():
        key = name.strip().lower()
        cleaned = _SPACES.sub(" ", value.strip())
        normalized[key] = f"{normalized[key]},{cleaned}" if key in normalized else cleaned
    names = sorted(normalized)
    lines = "".join(f"{name}:{normalized[name]}\n" for name in names)
    return lines, ";".join(names)


def canonical_request(
    method: str, url: str, headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """(the canonical request, its signed-headers list)."""
    parts = urlsplit(url)
    header_lines, signed = canonical_headers(headers)
    request = "\n".join(
        [
            method.upper(),
            canonical_uri(parts.path),
            canonical_query(parts.query),
            header_lines,
            signed,
            payload_hash,
        ]
    )
    return request, signed


def credential_scope(date_stamp: str, region: str, service: str) -> str:
    return f"{date_stamp}/{region}/{service}/aws4_request"


def string_to_sign(request_datetime: str, scope: str, canonical: str) -> str:
    return "\n".join(
        [ALGORITHM, request_datetime, scope, sha256_hex(canonical.encode("utf-8"))]
    )


def signing_key(secret_access_key: str, date_stamp: str, region: str, service: str) -> bytes:
    key_date = _hmac(f"AWS4{secret_access_key}".encode(), date_stamp)
    key_region = _hmac(key_date, region)
    key_service = _hmac(key_region, service)
    return _hmac(key_service, "aws4_request")


def signature(key: bytes, to_sign: str) -> str:
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_headers(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str,
    now: datetime,
    include_content_sha256: bool = True,
) -> dict[str, str]:
    """The request's headers plus `X-Amz-Date`, `x-amz-content-sha256` and `Authorization`.

    `headers` must not contain `Host` twice; it is added from the URL when missing.
    """
    request_datetime = amz_date(now)
    payload_hash = sha256_hex(body)
    signed: dict[str, str] = dict(headers)
    if not any(name.lower() == "host" for name in signed):
        signed["Host"] = urlsplit(url).netloc
    signed["X-Amz-Date"] = request_datetime
    if include_content_sha256:
        signed["x-amz-content-sha256"] = payload_hash
    if credentials.session_token:
        signed["X-Amz-Security-Token"] = credentials.session_token
    canonical, signed_names = canonical_request(method, url, signed, payload_hash)
    scope = credential_scope(request_datetime[:8], region, service)
    key = signing_key(credentials.secret_access_key, request_datetime[:8], region, service)
    sig = signature(key, string_to_sign(request_datetime, scope, canonical))
    signed["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={sig}"
    )
    return signed
