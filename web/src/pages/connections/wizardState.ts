/**
 * The connect wizard's state: which step is shown, how far the user got, and what exists on
 * the server (the connection, the first sync). Steps before an authorized connection are
 * closed once it exists (it is already connected: changing provider means disconnecting), and
 * every step before the first sync is closed once that sync started.
 */

export const STEPS = ['provider', 'authorize', 'checks', 'streams', 'sync'] as const;
export type StepId = (typeof STEPS)[number];

export const STEP = {
  provider: 0,
  authorize: 1,
  checks: 2,
  streams: 3,
  sync: 4,
} as const satisfies Record<StepId, number>;

export interface WizardState {
  step: number;
  /** The furthest step reached (the stepper lets the user go back to any step up to it). */
  reached: number;
  provider: string | null;
  connectionId: string | null;
  /** The connection has credentials (or is a sandbox): no going back to authorize. */
  authorized: boolean;
  syncId: string | null;
}

export type WizardEvent =
  | { type: 'choose'; provider: string }
  | { type: 'created'; connectionId: string }
  | { type: 'authorized'; connectionId: string }
  | { type: 'checked' }
  | { type: 'syncStarted'; syncId: string }
  | { type: 'goTo'; step: number }
  | { type: 'back' }
  | { type: 'discard' }
  | { type: 'resume'; provider: string; connectionId: string; authorized: boolean };

export const INITIAL: WizardState = { step: 0, reached: 0, provider: null, connectionId: null, authorized: false, syncId: null };

/** Whether the stepper may jump to step `index` from the current state. */
export function canSelect(state: WizardState, index: number): boolean {
  if (index < 0 || index >= STEPS.length || index === state.step || index > state.reached) return false;
  if (state.syncId !== null) return index >= STEP.sync;
  if (state.authorized) return index >= STEP.checks;
  if (state.connectionId !== null) return index >= STEP.authorize;
  return true;
}

function at(state: WizardState, step: number): WizardState {
  return { ...state, step, reached: Math.max(state.reached, step) };
}

export function wizardReducer(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case 'choose':
      if (state.connectionId !== null) return state;
      // Another provider: what was reached for the previous one no longer applies.
      return { ...INITIAL, provider: event.provider, step: STEP.authorize, reached: STEP.authorize };
    case 'created':
      // An API-key connection waiting for its key, or an OAuth one waiting for the provider.
      return { ...state, connectionId: event.connectionId };
    case 'authorized':
      return { ...at(state, STEP.checks), connectionId: event.connectionId, authorized: true };
    case 'checked':
      return state.authorized ? at(state, STEP.streams) : state;
    case 'syncStarted':
      return state.authorized ? { ...at(state, STEP.sync), syncId: event.syncId } : state;
    case 'goTo':
      return canSelect(state, event.step) ? { ...state, step: event.step } : state;
    case 'back':
      return canSelect(state, state.step - 1) ? { ...state, step: state.step - 1 } : state;
    case 'discard':
      // The connection was disconnected (to authorize again): back to authorizing.
      return state.syncId !== null ? state : { ...INITIAL, provider: state.provider, step: STEP.authorize, reached: STEP.authorize };
    case 'resume': {
      const step = event.authorized ? STEP.checks : STEP.authorize;
      return { ...INITIAL, provider: event.provider, connectionId: event.connectionId, authorized: event.authorized, step, reached: step };
    }
    default:
      return state;
  }
}
