"""Settings: one pydantic-settings class, read from BRAIN_* environment variables and `.env`."""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"


class Environment(StrEnum):
    development = "development"
    production = "production"


class InsecureSettingsError(RuntimeError):
    """Raised when production is asked to start on an insecure default."""


class Settings(BaseSettings):
    """Every knob of Brain; each has a safe default for the embedded mode."""

    model_config = SettingsConfigDict(
        env_prefix="BRAIN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.development
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    var_dir: Path = DEFAULT_VAR_DIR
    database_url: str = ""
    # Role the application switches to on PostgreSQL so row-level security applies.
    database_app_role: str = "brain_app"
    # Pooled connections per process: a request holds one from its first query to its commit,
    # so this should cover the concurrent requests a process serves; past it (and up to half
    # as many again) connections are opened and closed per request, which costs PostgreSQL a
    # backend start each time and stretches the latency tail.
    database_pool_size: Annotated[int, Field(ge=1, le=200)] = 20
    redis_url: str | None = None
    # With Redis: how long a process keeps its own copy of hot per-request keys (credentials,
    # memberships, plan state). A revocation or plan change made in another process is seen
    # within this many seconds; 0 turns the copy off.
    cache_local_seconds: Annotated[float, Field(ge=0, le=60)] = 1.0
    broker_url: str | None = None
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    # Request bodies: JSON routes vs. file uploads (CSV import).
    max_json_body_bytes: Annotated[int, Field(ge=1024)] = 16 * 1024 * 1024
    max_upload_bytes: Annotated[int, Field(ge=1024)] = 2 * 1024 * 1024 * 1024
    # Requests per minute per credential (0 disables every limiter, plan limits included).
    rate_limit_per_minute: Annotated[int, Field(ge=0)] = 6000
    idempotency_ttl_hours: Annotated[int, Field(ge=1, le=24 * 30)] = 24
    api_key_cache_seconds: Annotated[int, Field(ge=0, le=3600)] = 30
    embedded_worker: bool = True
    # AES-GCM keys for secrets at rest: "2:<base64 32 bytes>,1:<…>" (first is active).
    # Unset in development: a key is derived from the secret key.
    encryption_keys: str = ""
    # Email: outbox (embedded; kept in var/outbox and shown by `brain outbox`) | smtp | resend | ses
    email_backend: Literal["outbox", "smtp", "resend", "ses"] = "outbox"
    smtp_url: str | None = None  # smtp://[user:pass@]host:port or smtp+starttls://…
    email_from: str = "Brain <no-reply@brain.localhost>"
    resend_api_key: str | None = None
    resend_base_url: str = "https://api.resend.com"
    ses_region: str | None = None
    ses_access_key_id: str | None = None
    ses_secret_access_key: str | None = None
    ses_endpoint_url: str | None = None
    # Login protection.
    login_max_failures: Annotated[int, Field(ge=1, le=100)] = 5
    login_lockout_base_seconds: Annotated[int, Field(ge=1, le=3600)] = 30
    login_ip_per_minute: Annotated[int, Field(ge=1, le=10_000)] = 30
    # Social login ("Continue with Google / Microsoft / GitHub"), configured for the platform;
    # a provider is offered when its client id and secret are set. The issuer and endpoint
    # overrides exist for tests (a local OpenID provider, a mocked GitHub).
    social_google_client_id: str | None = None
    social_google_client_secret: str | None = None
    social_google_issuer: str = "https://accounts.google.com"
    social_microsoft_client_id: str | None = None
    social_microsoft_client_secret: str | None = None
    social_microsoft_issuer: str = "https://login.microsoftonline.com/common/v2.0"
    social_github_client_id: str | None = None
    social_github_client_secret: str | None = None
    social_github_authorize_url: str = "https://github.com/login/oauth/authorize"
    social_github_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105
    social_github_api_url: str = "https://api.github.com"
    # Outbound webhooks: per-attempt timeout, how long a rotated secret keeps signing too,
    # and the batch the dispatcher claims per run.
    webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    webhook_secret_overlap_hours: Annotated[int, Field(ge=0, le=24 * 7)] = 24
    webhook_dispatch_batch: Annotated[int, Field(ge=1, le=1000)] = 100
    # Delivered events, their attempts and dead letters are kept this long.
    webhook_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # Brain pipeline: a queued/running run older than this is presumed dead (its worker was
    # lost) and no longer blocks the tenant's next run; FACE summaries are cached this long
    # (and evicted when a run completes), then served stale while being recomputed.
    brain_run_timeout_minutes: Annotated[int, Field(ge=1, le=24 * 60)] = 60
    face_cache_seconds: Annotated[int, Field(ge=1, le=24 * 3600)] = 300
    # Integrations: OAuth apps per provider as JSON ({"meta_ads": {"client_id": …,
    # "client_secret": …}}), the Google Ads developer token, how long a sync's lease lives
    # without renewal (a dead worker's sync is taken over after it), and the default
    # backfill depth of a new connection.
    integrations_oauth_clients: dict[str, dict[str, str]] = Field(default_factory=dict)
    integrations_google_ads_developer_token: str | None = None
    integrations_sync_lease_seconds: Annotated[int, Field(ge=1, le=3600)] = 120
    # Rows a sync buffers before it commits them with the next checkpoint (1 = every one).
    integrations_sync_batch_rows: Annotated[int, Field(ge=1, le=100_000)] = 5000
    integrations_backfill_days: Annotated[int, Field(ge=1, le=3 * 365)] = 365

    # Plans, quotas and billing (brain/billing). Per-tenant API limits come from the plan;
    # `plan_rate_limits=False` turns them off (the test suite; billing tests turn them on).
    plan_rate_limits: bool = True
    plan_cache_seconds: Annotated[int, Field(ge=0, le=3600)] = 30
    usage_flush_requests: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    # Stripe: without a secret key billing runs in local mode (plans change directly).
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None  # tests point the SDK at a local mock
    stripe_price_starter: str | None = None
    stripe_price_growth: str | None = None
    stripe_price_scale: str | None = None
    stripe_price_enterprise: str | None = None
    stripe_price_seat: str | None = None
    billing_grace_days: Annotated[int, Field(ge=0, le=60)] = 7
    # FinOps: unit prices as JSON {"meter" or "meter:dimension": $ per unit}, merged over
    # the defaults in brain/finops/costs.py. Cost alerts: each plan's `cost_alert_share` of
    # its price (catalog); trials, which pay nothing, alert past this many $ a month.
    finops_unit_prices: dict[str, float] = Field(default_factory=dict)
    finops_trial_alert_usd: Annotated[float, Field(gt=0)] = 50.0
    # LLM gateway (brain/llm): offline is a deterministic fake for development and tests.
    llm_provider: Literal["offline", "openai", "anthropic"] = "offline"
    llm_api_key: str | None = None
    llm_base_url: str | None = None
    llm_model: str = "offline-echo-1"
    llm_cache_seconds: Annotated[int, Field(ge=0, le=30 * 24 * 3600)] = 24 * 3600

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.var_dir / 'brain.db'}"
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def cookie_secure(self) -> bool:
        """Cookies are `Secure` everywhere but development."""
        return self.env is not Environment.development

    @property
    def outbox_dir(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def imports_dir(self) -> Path:
        return self.var_dir / "imports"

    def resolved_secret_key(self) -> str:
        """The secret key; in development it is generated once and kept under `var/`."""
        if self.secret_key:
            return self.secret_key
        if self.is_production:
            raise InsecureSettingsError("BRAIN_SECRET_KEY is required in production")
        key_file = self.var_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    def check_production(self) -> None:
        """Refuse to start production on an insecure default."""
        if not self.is_production:
            return
        problems: list[str] = []
        if len(self.secret_key) < 32:
            problems.append("BRAIN_SECRET_KEY must be set to at least 32 characters")
        if self.is_sqlite:
            problems.append("BRAIN_DATABASE_URL must point at PostgreSQL")
        if not self.redis_url:
            problems.append("BRAIN_REDIS_URL must be set")
        if not self.broker_url:
            problems.append("BRAIN_BROKER_URL must be set (Celery workers run separately)")
        if not self.encryption_keys:
            problems.append("BRAIN_ENCRYPTION_KEYS must be set (secrets at rest)")
        if self.email_backend == "outbox":
            problems.append("BRAIN_EMAIL_BACKEND must be smtp, resend or ses")
        if not self.public_url.startswith("https://"):
            problems.append("BRAIN_PUBLIC_URL must be https")
        if problems:
            raise InsecureSettingsError("; ".join(problems))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own `Settings` instead)."""
    return Settings()
