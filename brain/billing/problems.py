"""The problem kinds billing adds (registered into the app's catalogue on import) and the
exceptions that carry them."""

from __future__ import annotations

from datetime import datetime

from brain.core.errors import PROBLEM_KINDS, ProblemError

PROBLEM_KINDS.setdefault("plan-required", (
    "Plan upgrade required",
    "The organization's plan does not include this module or feature; `required_plan` names "
    "the cheapest plan that does.",
))
PROBLEM_KINDS.setdefault("quota-exceeded", (
    "Quota exceeded",
    "The organization used its plan's allowance for this period; work already accepted is "
    "kept. Retry after `resets_at`, or upgrade the plan.",
))
PROBLEM_KINDS.setdefault("billing-restricted", (
    "Account restricted",
    "Payment is overdue or the subscription ended: the organization is read-only until "
    "billing is fixed. Data is kept.",
))
PROBLEM_KINDS.setdefault("operator-required", (
    "Platform operators only",
    "This endpoint is for the platform's operators.",
))
PROBLEM_KINDS.setdefault("billing-not-configured", (
    "Stripe is not configured",
    "Billing runs in local mode (no BRAIN_STRIPE_SECRET_KEY): change plans with POST …/plan.",
))
PROBLEM_KINDS.setdefault("payment-provider-error", (
    "Payment provider error",
    "Stripe refused the request or could not be reached; nothing was changed. Retry later.",
))


class PlanRequired(ProblemError):
    """403: the module or feature is not in the plan."""

    def __init__(self, entitlement: str, current_plan: str, required_plan: str) -> None:
        super().__init__(
            403,
            f"'{entitlement}' is not included in the {current_plan} plan; it is available "
            f"from the {required_plan} plan.",
            kind="plan-required",
            extra={"entitlement": entitlement, "current_plan": current_plan,
                   "required_plan": required_plan},
        )


class QuotaExceeded(ProblemError):
    """429: the period's allowance is used up (new work refused, accepted work kept)."""

    def __init__(
        self, quota: str, limit: int, used: int, requested: int, resets_at: datetime,
        retry_after: int,
    ) -> None:
        super().__init__(
            429,
            f"The plan allows {limit} for {quota} in this period; {used} used, {requested} "
            f"more asked. It resets at {resets_at.isoformat().replace('+00:00', 'Z')}.",
            kind="quota-exceeded",
            headers={"Retry-After": str(max(1, retry_after))},
            extra={"quota": quota, "limit": limit, "used": used, "requested": requested,
                   "resets_at": resets_at.isoformat().replace("+00:00", "Z")},
        )


class BillingRestricted(ProblemError):
    def __init__(self, status: str) -> None:
        super().__init__(
            403,
            f"The organization's billing status is '{status}': it is read-only until billing "
            "is fixed (see GET …/billing). Nothing was deleted.",
            kind="billing-restricted",
            extra={"billing_status": status},
        )

