"""Secrets at rest: AES-256-GCM under versioned keys, bound to what they belong to (AAD)."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE_BYTES = 12


class DecryptionError(Exception):
    """The ciphertext is corrupt, was moved to another record, or its key is gone."""


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def derive_key(secret: str, version: int) -> bytes:
    """A 256-bit key derived from the app secret (embedded mode only)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"brain-at-rest",
        info=f"brain-encryption-v{version}".encode(),
    ).derive(secret.encode())


def parse_keyring(spec: str) -> dict[int, bytes]:
    """`"2:<base64 32 bytes>,1:<base64 32 bytes>"` → {version: key}; the first is active."""
    keys: dict[int, bytes] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        version_text, _, material = part.partition(":")
        try:
            version = int(version_text)
            key = _b64d(material)
        except ValueError as exc:
            raise ValueError(f"bad encryption key entry {version_text!r}") from exc
        if len(key) != 32 or version < 1:
            raise ValueError(f"encryption key v{version_text} must be 32 bytes, version ≥ 1")
        keys[version] = key
    return keys


@dataclass
class Keyring:
    """Encrypts with the active (newest listed) key; decrypts with any listed version."""

    keys: dict[int, bytes]
    active: int

    @classmethod
    def from_spec(cls, spec: str, fallback_secret: str) -> Keyring:
        keys = parse_keyring(spec) if spec else {}
        if not keys:
            return cls(keys={1: derive_key(fallback_secret, 1)}, active=1)
        active = int(spec.split(",")[0].split(":")[0])
        return cls(keys=keys, active=active)

    @staticmethod
    def generate_key() -> str:
        return _b64e(AESGCM.generate_key(bit_length=256))

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(
            nonce, plaintext.encode(), context.encode()
        )
        return f"v{self.active}:{_b64e(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        version_text, _, body = token.partition(":")
        try:
            version = int(version_text.removeprefix("v"))
            key = self.keys[version]
            raw = _b64d(body)
            return AESGCM(key).decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()
            ).decode()
        except (KeyError, ValueError, InvalidTag) as exc:
            raise DecryptionError("cannot decrypt the stored secret") from exc

    def encrypt_bytes(self, data: bytes, *, context: str) -> bytes:
        return self.encrypt(_b64e(data), context=context).encode()

    def decrypt_bytes(self, token: bytes, *, context: str) -> bytes:
        return _b64d(self.decrypt(token.decode(), context=context))

    def needs_rotation(self, token: str) -> bool:
        return not token.startswith(f"v{self.active}:")
