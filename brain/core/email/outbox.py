"""The embedded email backend: each message is a JSON file under `var/outbox`, shown by
`brain outbox` and the development pages instead of being delivered."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from brain.core.clock import Clock, SystemClock
from brain.core.email.message import EmailMessage
from brain.settings import Settings

_ID = re.compile(r"^[0-9]{8}T[0-9]{12}Z-[0-9a-f]{12}$")


@dataclass(frozen=True)
class OutboxEntry:
    """One message kept in the outbox."""

    id: str
    created_at: str
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str | None
    category: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutboxEntry:
        return cls(
            id=str(data["id"]),
            created_at=str(data["created_at"]),
            sender=str(data.get("sender", "")),
            to=[str(address) for address in data["to"]],
            subject=str(data["subject"]),
            text=str(data["text"]),
            html=None if data.get("html") is None else str(data["html"]),
            category=None if data.get("category") is None else str(data["category"]),
            tags={str(k): str(v) for k, v in dict(data.get("tags") or {}).items()},
            headers={str(k): str(v) for k, v in dict(data.get("headers") or {}).items()},
        )


class OutboxBackend:
    """Writes each message as `<id>.json` (mode 0600: the links in it carry tokens)."""

    name = "outbox"

    def __init__(self, directory: Path, *, sender: str, clock: Clock | None = None) -> None:
        self.directory = directory
        self.sender = sender
        self.clock = clock or SystemClock()

    async def send(self, message: EmailMessage) -> str:
        now = self.clock.now().astimezone(UTC)
        entry = OutboxEntry(
            id=f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(6)}",
            created_at=now.isoformat(),
            sender=message.sender or self.sender,
            to=list(message.recipients),
            subject=message.subject,
            text=message.text,
            html=message.html,
            category=message.category,
            tags=message.all_tags,
            headers=dict(message.headers),
        )
        await asyncio.to_thread(_write_entry, self.directory, entry)
        return entry.id


def _write_entry(directory: Path, entry: OutboxEntry) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{entry.id}.json"
    temporary = directory / f".{entry.id}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(entry.as_json(), handle, ensure_ascii=False, indent=2)
    os.replace(temporary, target)


def _outbox_dir(where: Settings | Path) -> Path:
    return where.outbox_dir if isinstance(where, Settings) else where


def list_outbox(where: Settings | Path, limit: int = 50) -> list[OutboxEntry]:
    """The newest `limit` messages in the outbox, newest first."""
    directory = _outbox_dir(where)
    if limit <= 0 or not directory.is_dir():
        return []
    names = sorted(
        (path.name for path in directory.glob("*.json") if _ID.match(path.stem)), reverse=True
    )
    entries: list[OutboxEntry] = []
    for name in names[:limit]:
        entry = _load(directory / name)
        if entry is not None:
            entries.append(entry)
    return entries


def read_outbox(where: Settings | Path, message_id: str) -> OutboxEntry | None:
    """One message by id, or None (an id that is not of the outbox's form is never a path)."""
    if not _ID.match(message_id):
        return None
    return _load(_outbox_dir(where) / f"{message_id}.json")


def _load(path: Path) -> OutboxEntry | None:
    try:
        return OutboxEntry.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
