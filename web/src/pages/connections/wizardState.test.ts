import { canSelect, INITIAL, STEP, wizardReducer, type WizardEvent, type WizardState } from './wizardState';

function run(...events: WizardEvent[]): WizardState {
  return events.reduce(wizardReducer, INITIAL);
}

describe('the connect wizard’s steps', () => {
  it('goes provider → authorize → checks → streams → sync', () => {
    let state = run({ type: 'choose', provider: 'meta_ads' });
    expect(state).toMatchObject({ step: STEP.authorize, provider: 'meta_ads', connectionId: null });
    state = wizardReducer(state, { type: 'authorized', connectionId: 'c1' });
    expect(state).toMatchObject({ step: STEP.checks, connectionId: 'c1', authorized: true, reached: STEP.checks });
    state = wizardReducer(state, { type: 'checked' });
    expect(state.step).toBe(STEP.streams);
    state = wizardReducer(state, { type: 'syncStarted', syncId: 's1' });
    expect(state).toMatchObject({ step: STEP.sync, syncId: 's1', reached: STEP.sync });
  });

  it('lets the user go back only to steps that still make sense', () => {
    const chosen = run({ type: 'choose', provider: 'ga4' });
    expect(canSelect(chosen, STEP.provider)).toBe(true);
    expect(canSelect(chosen, STEP.checks)).toBe(false); // not reached yet
    expect(wizardReducer(chosen, { type: 'back' }).step).toBe(STEP.provider);

    const authorized = wizardReducer(chosen, { type: 'authorized', connectionId: 'c1' });
    // Connected: changing provider or authorizing again is no longer a step back.
    expect(canSelect(authorized, STEP.provider)).toBe(false);
    expect(canSelect(authorized, STEP.authorize)).toBe(false);
    expect(wizardReducer(authorized, { type: 'back' })).toBe(authorized);

    const streams = wizardReducer(authorized, { type: 'checked' });
    expect(canSelect(streams, STEP.checks)).toBe(true);
    const backToChecks = wizardReducer(streams, { type: 'goTo', step: STEP.checks });
    expect(backToChecks.step).toBe(STEP.checks);
    // …and forward again to what was reached.
    expect(wizardReducer(backToChecks, { type: 'goTo', step: STEP.streams }).step).toBe(STEP.streams);

    const syncing = wizardReducer(streams, { type: 'syncStarted', syncId: 's1' });
    expect([0, 1, 2, 3].some((i) => canSelect(syncing, i))).toBe(false);
  });

  it('ignores events that do not fit the state', () => {
    const chosen = run({ type: 'choose', provider: 'ga4' });
    expect(wizardReducer(chosen, { type: 'checked' })).toBe(chosen);
    expect(wizardReducer(chosen, { type: 'syncStarted', syncId: 's' })).toBe(chosen);
    expect(wizardReducer(chosen, { type: 'goTo', step: STEP.sync })).toBe(chosen);
    const created = wizardReducer(chosen, { type: 'created', connectionId: 'c1' });
    // A connection exists (waiting for its key): the provider can no longer be switched.
    expect(wizardReducer(created, { type: 'choose', provider: 'hubspot' })).toBe(created);
    expect(canSelect(created, STEP.provider)).toBe(false);
  });

  it('starts over at authorize when the attempt is discarded, and resumes a connection', () => {
    const failed = run({ type: 'choose', provider: 'ga4' }, { type: 'authorized', connectionId: 'c1' });
    const discarded = wizardReducer(failed, { type: 'discard' });
    expect(discarded).toMatchObject({ step: STEP.authorize, provider: 'ga4', connectionId: null, authorized: false, reached: STEP.authorize });

    expect(run({ type: 'resume', provider: 'ga4', connectionId: 'c9', authorized: true })).toMatchObject({ step: STEP.checks, connectionId: 'c9' });
    expect(run({ type: 'resume', provider: 'hubspot', connectionId: 'c9', authorized: false })).toMatchObject({ step: STEP.authorize, connectionId: 'c9', authorized: false });
  });

  it('choosing another provider forgets how far the previous one got', () => {
    const state = run({ type: 'choose', provider: 'ga4' }, { type: 'back' }, { type: 'choose', provider: 'shopify' });
    expect(state).toMatchObject({ provider: 'shopify', step: STEP.authorize, reached: STEP.authorize });
  });
});
