"""The embedded outbox: one private JSON file per message, listed newest first, and the
`brain outbox` command that shows it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from brain.core.clock import FrozenClock
from brain.core.email import (
    EmailMessage,
    OutboxBackend,
    create_email_backend,
    list_outbox,
    read_outbox,
)
from brain.settings import Settings


def message(subject: str = "Hello", to: str = "ana@example.com") -> EmailMessage:
    return EmailMessage(
        to=to, subject=subject, text="Open https://app.brain.test/verify?token=abc",
        html="<p>Open</p>", category="verify_email", headers={"X-Entity-Ref-ID": "42"},
    )


async def test_send_writes_a_private_json_file(tmp_path: Path) -> None:
    backend = OutboxBackend(tmp_path / "outbox", sender="Brain <no-reply@brain.test>")
    message_id = await backend.send(message())
    path = tmp_path / "outbox" / f"{message_id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["id"] == message_id
    assert stored["to"] == ["ana@example.com"]
    assert stored["sender"] == "Brain <no-reply@brain.test>"
    assert stored["subject"] == "Hello"
    assert stored["text"].endswith("token=abc")
    assert stored["html"] == "<p>Open</p>"
    assert stored["category"] == "verify_email"
    assert stored["tags"] == {"category": "verify_email"}
    assert stored["headers"] == {"X-Entity-Ref-ID": "42"}
    assert stored["created_at"].endswith("+00:00")
    assert not [name for name in os.listdir(tmp_path / "outbox") if name.endswith(".tmp")]


async def test_list_is_newest_first_with_a_limit_and_read_by_id(tmp_path: Path) -> None:
    clock = FrozenClock()
    backend = OutboxBackend(tmp_path, sender="no-reply@brain.test", clock=clock)
    ids = []
    for number in range(3):
        ids.append(await backend.send(message(subject=f"Message {number}")))
        clock.advance(timedelta(seconds=1))
    listed = list_outbox(tmp_path, limit=2)
    assert [entry.subject for entry in listed] == ["Message 2", "Message 1"]
    assert [entry.id for entry in list_outbox(tmp_path)] == ids[::-1]
    entry = read_outbox(tmp_path, ids[0])
    assert entry is not None
    assert entry.subject == "Message 0"
    assert list_outbox(tmp_path, limit=0) == []


def test_reading_is_safe_against_odd_ids_and_files(tmp_path: Path) -> None:
    assert list_outbox(tmp_path / "missing") == []
    assert read_outbox(tmp_path, "../../etc/passwd") is None
    assert read_outbox(tmp_path, "20260105T090000000000Z-0123456789ab") is None
    (tmp_path / "20260105T090000000000Z-0123456789ab.json").write_text("{not json")
    (tmp_path / "notes.json").write_text("{}")
    assert list_outbox(tmp_path) == []


async def test_settings_pick_the_outbox_under_var(email_settings: Settings) -> None:
    backend = create_email_backend(email_settings)
    assert isinstance(backend, OutboxBackend)
    message_id = await backend.send(message())
    assert (email_settings.outbox_dir / f"{message_id}.json").exists()
    assert [entry.id for entry in list_outbox(email_settings)] == [message_id]


def brain_cli(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BRAIN_VAR_DIR": str(var_dir)}
    for name in ("BRAIN_ENV", "BRAIN_DATABASE_URL", "BRAIN_EMAIL_BACKEND"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "brain.cli", "outbox", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


@pytest.mark.slow
async def test_cli_lists_and_shows_outbox_messages(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    backend = OutboxBackend(var_dir / "outbox", sender="Brain <no-reply@brain.test>")
    message_id = await backend.send(message(subject="Confirm your email address"))

    listed = brain_cli(var_dir, "list", "--json", "--limit", "5")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)["items"]
    assert items == [{
        "id": message_id, "created_at": items[0]["created_at"], "to": ["ana@example.com"],
        "subject": "Confirm your email address", "category": "verify_email",
    }]

    shown = brain_cli(var_dir, "show", message_id, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["text"].endswith("token=abc")

    plain = brain_cli(var_dir, "show", message_id)
    assert plain.returncode == 0, plain.stderr
    assert "Subject: Confirm your email address" in plain.stdout
    assert "token=abc" in plain.stdout

    human = brain_cli(var_dir, "list")
    assert human.returncode == 0
    assert message_id in human.stdout

    missing = brain_cli(var_dir, "show", "20990101T000000000000Z-000000000000")
    assert missing.returncode == 1
    assert "no message" in missing.stderr


@pytest.mark.slow
def test_cli_list_on_an_empty_outbox(tmp_path: Path) -> None:
    result = brain_cli(tmp_path / "var", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"items": []}
