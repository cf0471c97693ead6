"""docs/permissions.md is generated from the code, and the committed file is up to date."""

from __future__ import annotations

from pathlib import Path

from brain.organizations.permissions import Permission, Role
from brain.organizations.permissions_doc import (
    DOC_PATH,
    docs_app,
    render_permissions_doc,
    route_rules,
    write_permissions_doc,
)


def test_the_committed_permissions_doc_matches_the_code() -> None:
    expected = render_permissions_doc(docs_app())
    committed = DOC_PATH.read_text(encoding="utf-8")
    assert committed == expected, (
        "docs/permissions.md differs from the code: run "
        "`.venv/bin/python scripts/generate_permissions_doc.py` and commit the result"
    )


def test_rules_come_from_the_routes_dependencies() -> None:
    rules = {(r.method, r.path): r for r in route_rules(docs_app())}
    delete = rules[("DELETE", "/api/v1/organizations/{org_id}")]
    assert delete.permissions == {Permission.organization_delete}
    assert [r for r in Role if delete.allows(r)] == [Role.owner]
    leave = rules[("POST", "/api/v1/organizations/{org_id}/leave")]
    assert leave.members_only
    assert all(leave.allows(r) for r in Role)
    assert not rules[("GET", "/api/v1/organizations/{org_id}/members")].members_only
    # Public and user-level routes ask for no organization permission: not in the matrix.
    assert not any(path.startswith("/api/v1/invites") for _, path in rules)


def test_write_permissions_doc(tmp_path: Path) -> None:
    target = write_permissions_doc(tmp_path / "permissions.md")
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Permissions\n")
    assert "| POST | `/api/v1/organizations/{org_id}/plan` | `change_plan` | `billing:manage` | " \
        "yes | 403 | 403 | 403 |" in text
