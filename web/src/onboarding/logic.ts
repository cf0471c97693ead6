/**
 * What the checklist and the data guard decide, as plain functions of the API's answer (and
 * of what the member may do), so they are tested without rendering.
 */
import type { Schemas } from '../api/client';
import type { Permission } from '../auth/permissions';

export type Onboarding = Schemas['Onboarding'];
export type OnboardingStep = Schemas['OnboardingStep'];
export type StepId = OnboardingStep['id'];

/** The checklist is on screen until every step is done or the member hides it. */
export function checklistVisible(onboarding: Onboarding | undefined): boolean {
  return Boolean(onboarding && !onboarding.completed && !onboarding.dismissed);
}

export function progress(onboarding: Onboarding): { done: number; total: number } {
  return { done: onboarding.steps.filter((step) => step.done).length, total: onboarding.steps.length };
}

/**
 * Pages that show data need some first: `connect` while no data source exists, `sync` while
 * one exists but nothing has landed yet, `ready` once data is there (the page then says
 * itself whether a brain run is missing). `loading` before the first answer; an error does
 * not block a page (`ready`: the page's own queries say what is wrong).
 */
export type DataGate = 'loading' | 'connect' | 'sync' | 'ready';

export function dataGate(onboarding: Onboarding | undefined, state: { isLoading: boolean; isError: boolean }): DataGate {
  if (onboarding === undefined) return state.isLoading && !state.isError ? 'loading' : 'ready';
  const done = (id: StepId) => onboarding.steps.find((step) => step.id === id)?.done ?? true;
  if (done('first_sync')) return 'ready';
  return done('connect_data') ? 'sync' : 'connect';
}

/** What a step's call to action is, for a member with these permissions. */
export type StepAction =
  | { kind: 'resend' }
  | { kind: 'links'; links: { to: string; label: 'primary' | 'csv' }[] }
  | { kind: 'ask-admin' }
  | { kind: 'none' };

export function stepAction(step: OnboardingStep, can: (permission: Permission) => boolean): StepAction {
  if (step.done) return { kind: 'none' };
  switch (step.id) {
    case 'verify_email':
      return { kind: 'resend' };
    case 'connect_data': {
      const links: { to: string; label: 'primary' | 'csv' }[] = [];
      if (can('integrations:write')) links.push({ to: step.href, label: 'primary' });
      if (can('imports:write')) links.push({ to: '/import', label: 'csv' });
      return links.length ? { kind: 'links', links } : { kind: 'ask-admin' };
    }
    case 'first_sync':
      return can('integrations:read') ? { kind: 'links', links: [{ to: step.href, label: 'primary' }] } : { kind: 'ask-admin' };
    case 'first_brain_run':
      return can('data:read') ? { kind: 'links', links: [{ to: step.href, label: 'primary' }] } : { kind: 'ask-admin' };
    case 'invite_teammate':
      return can('members:invite') ? { kind: 'links', links: [{ to: step.href, label: 'primary' }] } : { kind: 'ask-admin' };
    default:
      return { kind: 'none' };
  }
}
