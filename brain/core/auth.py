"""The request's `AuthContext`: who is calling, for which organization, with which permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from brain.organizations.permissions import Permission


class SubjectType(StrEnum):
    api_key = "api_key"
    user = "user"
    job = "job"  # a background job acting for one organization (e.g. a CSV import)


@dataclass(frozen=True, slots=True)
class AuthContext:
    organization_id: uuid.UUID
    # A built-in role name, or "custom" for a member with a custom role.
    role: str
    permissions: frozenset[Permission]
    subject_type: SubjectType
    subject_id: uuid.UUID
    # For a member restricted to some resources: the channels they may see (None = all).
    channel_ids: frozenset[uuid.UUID] | None = None
    session_id: uuid.UUID | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.subject_id if self.subject_type is SubjectType.user else None
