"""The request's `AuthContext`: who is calling, for which organization, with which permissions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from brain.organizations.permissions import Permission, Role


class SubjectType(StrEnum):
    api_key = "api_key"
    user = "user"
    job = "job"  # a background job acting for one organization (e.g. a CSV import)


@dataclass(frozen=True, slots=True)
class AuthContext:
    organization_id: uuid.UUID
    role: Role
    permissions: frozenset[Permission]
    subject_type: SubjectType
    subject_id: uuid.UUID

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
