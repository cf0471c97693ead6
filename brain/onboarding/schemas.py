"""The onboarding checklist as the API returns it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from brain.core.schemas import UTCTimestamp

StepId = Literal["verify_email", "connect_data", "first_sync", "first_brain_run", "invite_teammate"]


class OnboardingStep(BaseModel):
    id: StepId = Field(description="The step, in checklist order.")
    done: bool
    done_at: UTCTimestamp | None = Field(
        description="When the step was first done (null while it is not, or when unknown)."
    )
    href: str = Field(description="The web app's page where the step is done.")


class Onboarding(BaseModel):
    steps: list[OnboardingStep]
    completed: bool = Field(description="Every step is done.")
    dismissed: bool = Field(description="The calling member hid the checklist (always false "
                                        "for API keys).")
    next_step: StepId | None = Field(description="The first step not done yet (null when "
                                                 "completed).")
