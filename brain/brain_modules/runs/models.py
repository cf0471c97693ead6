"""Tables of the brain pipeline: runs, each module's stored answer, the actions CURIOSITY
proposed and the feedback people gave on them (every row belongs to one organization)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from brain.core.models import Base, IdMixin, TenantMixin, TimestampMixin, utcnow


class RunStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class RunTrigger(StrEnum):
    manual = "manual"
    schedule = "schedule"
    sync = "sync"


class ActionStatus(StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    rejected = "rejected"
    superseded = "superseded"


class Decision(StrEnum):
    accepted = "accepted"
    rejected = "rejected"


# The statuses of a run that still holds the tenant's one pipeline slot.
ACTIVE_STATUSES = (RunStatus.queued.value, RunStatus.running.value)
_ACTIVE_WHERE = text("status IN ('queued', 'running')")


class BrainRun(IdMixin, TenantMixin, TimestampMixin, Base):
    """One execution of the pipeline (features -> MEMORY -> ORACLE -> CURIOSITY -> FACE)."""

    __tablename__ = "brain_runs"
    __table_args__ = (
        Index("ix_brain_runs_org_created", "organization_id", "created_at", "id"),
        Index("ix_brain_runs_org_status_finished", "organization_id", "status", "finished_at"),
        # The database, not the code, guarantees one queued-or-running run per tenant.
        Index(
            "uq_brain_runs_org_active",
            "organization_id",
            unique=True,
            sqlite_where=_ACTIVE_WHERE,
            postgresql_where=_ACTIVE_WHERE,
        ),
    )

    status: Mapped[str] = mapped_column(String(20), default=RunStatus.queued.value)
    trigger: Mapped[str] = mapped_column(String(20), default=RunTrigger.manual.value)
    # {module: {status, progress, started_at, finished_at, seconds, error, model_version, notes}}
    modules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(String(2000), default=None)
    data_as_of: Mapped[str | None] = mapped_column(String(10), default=None)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(default=None)


class BrainModuleOutput(IdMixin, TenantMixin, Base):
    """A module's answer in one run, with the model version that produced it."""

    __tablename__ = "brain_module_outputs"
    __table_args__ = (
        Index("uq_brain_module_outputs_org_run_module", "organization_id", "run_id", "module",
              unique=True),
        Index("ix_brain_module_outputs_run_fk", "run_id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("brain_runs.id", ondelete="CASCADE"))
    module: Mapped[str] = mapped_column(String(20))
    model_version: Mapped[str] = mapped_column(String(100))
    output: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BrainAction(IdMixin, TenantMixin, TimestampMixin, Base):
    """An action CURIOSITY proposed; people accept or reject it."""

    __tablename__ = "brain_actions"
    __table_args__ = (
        Index("ix_brain_actions_org_created", "organization_id", "created_at", "id"),
        Index("ix_brain_actions_org_status_rank", "organization_id", "status", "rank"),
        Index("ix_brain_actions_org_fingerprint", "organization_id", "fingerprint"),
        Index("ix_brain_actions_run_fk", "run_id"),
    )

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("brain_runs.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[str] = mapped_column(String(100))
    target_name: Mapped[str] = mapped_column(String(300))
    amount_current: Mapped[float | None] = mapped_column(Float, default=None)
    amount_recommended: Mapped[float | None] = mapped_column(Float, default=None)
    impact_usd: Mapped[float] = mapped_column(Float, default=0.0)
    impact_low_usd: Mapped[float] = mapped_column(Float, default=0.0)
    impact_high_usd: Mapped[float] = mapped_column(Float, default=0.0)
    impact_7d_usd: Mapped[float] = mapped_column(Float, default=0.0)
    rationale: Mapped[str] = mapped_column(String(2000))
    urgency: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float] = mapped_column(Float)
    needs_human: Mapped[bool] = mapped_column(default=False)
    needs_human_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    expected_value: Mapped[float] = mapped_column(Float, default=0.0)
    rank: Mapped[int] = mapped_column(default=0)
    fingerprint: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.proposed.value)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class BrainActionFeedback(IdMixin, TenantMixin, Base):
    """Someone's accept/reject of an action (the history CURIOSITY learns from)."""

    __tablename__ = "brain_action_feedback"
    __table_args__ = (
        Index("ix_brain_action_feedback_org_created", "organization_id", "created_at", "id"),
        Index("ix_brain_action_feedback_action_fk", "action_id"),
    )

    action_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("brain_actions.id", ondelete="CASCADE")
    )
    action_type: Mapped[str] = mapped_column(String(30))
    fingerprint: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    actor_type: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
