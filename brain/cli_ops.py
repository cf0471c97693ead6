"""Database operations behind CLI commands (each in system mode, committed on success)."""

from __future__ import annotations

import uuid

from brain.core.db import system_session
from brain.core.runtime import Runtime
from brain.identity.service import issue_api_key
from brain.organizations.models import Organization
from brain.organizations.permissions import ApiKeyRole
from brain.organizations.service import create_organization
from brain.settings import Settings


class CLIError(Exception):
    """A one-line error for the user (exit code 1)."""


async def create_org_with_key(settings: Settings, name: str) -> tuple[uuid.UUID, str]:
    from brain.core.sanitize import clean_text

    try:
        clean = clean_text(name)
    except ValueError as exc:
        raise CLIError(f"--name: {exc}") from exc
    if not clean or len(clean) > 200:
        raise CLIError("--name must be 1-200 characters")
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            org = await create_organization(session, name=clean)
            _, token = await issue_api_key(
                session, organization_id=org.id, name="initial admin key", role=ApiKeyRole.admin
            )
            return org.id, token
    except Exception as exc:
        raise CLIError(_db_error(exc)) from exc
    finally:
        await runtime.close()


async def create_key(
    settings: Settings, org_id: uuid.UUID, role: ApiKeyRole, name: str
) -> tuple[uuid.UUID, str]:
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            org = await session.get(Organization, org_id)
            if org is None or org.deleted_at is not None:
                raise CLIError(f"no organization {org_id}")
            key, token = await issue_api_key(
                session, organization_id=org_id, name=name[:200], role=role
            )
            return key.id, token
    except CLIError:
        raise
    except Exception as exc:
        raise CLIError(_db_error(exc)) from exc
    finally:
        await runtime.close()


def _db_error(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "no such table" in text or "does not exist" in text:
        return "the database is not migrated; run `brain migrate` first"
    return f"database error: {type(exc).__name__}: {text[:200]}"


DEMO_EMAIL = "demo@brain.localhost"


async def ensure_demo_user(settings: Settings, organization_id: uuid.UUID) -> tuple[str, str]:
    """The demo tenant's owner login; its password is new on every `brain demo`."""
    import secrets

    from sqlalchemy import select

    from brain.core.models import utcnow
    from brain.identity.models import User
    from brain.identity.passwords import hash_password
    from brain.organizations.models import Membership

    password = "demo-" + secrets.token_urlsafe(12)
    runtime = Runtime.create(settings)
    try:
        async with system_session(runtime.session_factory) as session:
            user = await session.scalar(select(User).where(User.email == DEMO_EMAIL))
            if user is None:
                user = User(email=DEMO_EMAIL, name="Demo Owner", email_verified_at=utcnow())
                session.add(user)
            user.password_hash = hash_password(password)
            user.password_changed_at = utcnow()
            user.default_organization_id = organization_id
            await session.flush()
            member = await session.scalar(
                select(Membership).where(
                    Membership.organization_id == organization_id,
                    Membership.user_id == user.id,
                )
            )
            if member is None:
                session.add(
                    Membership(organization_id=organization_id, user_id=user.id, role="owner")
                )
    finally:
        await runtime.close()
    return DEMO_EMAIL, password
