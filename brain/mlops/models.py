"""Tables of the model registry.

Rows are either **global** (`organization_id` NULL: a model trained or evaluated on simulator
or public data, the same for every tenant) or **tenant** rows (a model fitted on one tenant's
data). Why one table with a nullable owner rather than a separate global table: a tenant's
`champion` alias may point at a global version or at its own, and evaluations of both kinds
are listed together; keeping them in one table keeps those queries single. Row-level security
on PostgreSQL lets a tenant *read* global rows and its own, and *write* only its own (global
rows are written in system mode, e.g. by `brain eval --persist`); see migration 0005.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TimestampMixin

_GLOBAL = text("organization_id IS NULL")
_TENANT = text("organization_id IS NOT NULL")


def _org_column() -> Mapped[uuid.UUID | None]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), default=None)


class MlModel(IdMixin, TimestampMixin, Base):
    """A model kind (e.g. MEMORY's marketing-mix model), global or owned by one tenant."""

    __tablename__ = "ml_models"
    __table_args__ = (
        Index("uq_ml_models_global_name", "name", unique=True, sqlite_where=_GLOBAL,
              postgresql_where=_GLOBAL),
        Index("uq_ml_models_org_name", "organization_id", "name", unique=True,
              sqlite_where=_TENANT, postgresql_where=_TENANT),
        Index("ix_ml_models_org_created", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID | None] = _org_column()
    name: Mapped[str] = mapped_column(String(100))
    module: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(String(1000), default=None)


class MlModelVersion(IdMixin, TimestampMixin, Base):
    """One trained version: what it learned from, with what, and its artifact."""

    __tablename__ = "ml_model_versions"
    __table_args__ = (
        Index("uq_ml_model_versions_model_version", "model_id", "version", unique=True),
        Index("ix_ml_model_versions_org_model", "organization_id", "model_id", "version"),
    )

    organization_id: Mapped[uuid.UUID | None] = _org_column()
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    version: Mapped[int]
    training_start: Mapped[date | None] = mapped_column(default=None)
    training_end: Mapped[date | None] = mapped_column(default=None)
    feature_set: Mapped[list[str]] = mapped_column(JSON, default=list)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    code_version: Mapped[str] = mapped_column(String(100))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "json" or "skops" (never pickle); None for parameter-only versions.
    artifact_format: Mapped[str | None] = mapped_column(String(10), default=None)
    artifact: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    artifact_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    artifact_size: Mapped[int] = mapped_column(default=0)


class MlModelAlias(IdMixin, TimestampMixin, Base):
    """A named pointer (e.g. `champion`) to the version that serves a tenant, or everyone."""

    __tablename__ = "ml_model_aliases"
    __table_args__ = (
        Index("uq_ml_model_aliases_global", "model_id", "alias", unique=True,
              sqlite_where=_GLOBAL, postgresql_where=_GLOBAL),
        Index("uq_ml_model_aliases_org", "organization_id", "model_id", "alias", unique=True,
              sqlite_where=_TENANT, postgresql_where=_TENANT),
        Index("ix_ml_model_aliases_version_fk", "version_id"),
    )

    organization_id: Mapped[uuid.UUID | None] = _org_column()
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(40))
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ml_model_versions.id", ondelete="CASCADE")
    )


class MlEvaluationRun(IdMixin, TimestampMixin, Base):
    """Metrics of one evaluation of a model (version) on a named data set."""

    __tablename__ = "ml_evaluation_runs"
    __table_args__ = (
        Index("ix_ml_evaluation_runs_org_model_created", "organization_id", "model_id",
              "created_at", "id"),
        Index("ix_ml_evaluation_runs_model_created", "model_id", "created_at", "id"),
        Index("ix_ml_evaluation_runs_version_fk", "version_id"),
    )

    organization_id: Mapped[uuid.UUID | None] = _org_column()
    model_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ml_models.id", ondelete="CASCADE"))
    version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ml_model_versions.id", ondelete="SET NULL"), default=None
    )
    dataset: Mapped[str] = mapped_column(String(200))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    targets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    passed: Mapped[bool | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
