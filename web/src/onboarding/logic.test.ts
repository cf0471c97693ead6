import { permissionsFor, type Permission } from '../auth/permissions';
import { checklistVisible, dataGate, progress, stepAction } from './logic';
import { onboarding } from './testing';

const can = (role: string) => (permission: Permission) => permissionsFor(role).has(permission);
const step = (data: ReturnType<typeof onboarding>, id: string) => {
  const found = data.steps.find((s) => s.id === id);
  if (!found) throw new Error(id);
  return found;
};

describe('the checklist', () => {
  it('is shown until every step is done or the member hides it', () => {
    expect(checklistVisible(undefined)).toBe(false);
    expect(checklistVisible(onboarding(['verify_email']))).toBe(true);
    expect(checklistVisible(onboarding(['verify_email'], { dismissed: true }))).toBe(false);
    expect(checklistVisible(onboarding(['verify_email', 'connect_data', 'first_sync', 'first_brain_run', 'invite_teammate']))).toBe(false);
  });

  it('counts the steps done', () => {
    expect(progress(onboarding([]))).toEqual({ done: 0, total: 5 });
    expect(progress(onboarding(['verify_email', 'connect_data', 'first_sync']))).toEqual({ done: 3, total: 5 });
  });
});

describe('the data guard', () => {
  const settled = { isLoading: false, isError: false };

  it('waits for the first answer, and never blocks a page on an error', () => {
    expect(dataGate(undefined, { isLoading: true, isError: false })).toBe('loading');
    expect(dataGate(undefined, { isLoading: false, isError: true })).toBe('ready');
  });

  it('asks to connect data, then to wait for the first sync, then lets the page render', () => {
    expect(dataGate(onboarding(['verify_email']), settled)).toBe('connect');
    expect(dataGate(onboarding(['verify_email', 'connect_data']), settled)).toBe('sync');
    expect(dataGate(onboarding(['connect_data', 'first_sync']), settled)).toBe('ready');
    // A brain run is not the guard's business: the page offers it.
    expect(dataGate(onboarding(['verify_email', 'connect_data', 'first_sync']), settled)).toBe('ready');
  });
});

describe('each step deep-links to where it is done', () => {
  const fresh = onboarding([]);

  it('gives an admin every link', () => {
    const admin = can('admin');
    expect(stepAction(step(fresh, 'verify_email'), admin)).toEqual({ kind: 'resend' });
    expect(stepAction(step(fresh, 'connect_data'), admin)).toEqual({
      kind: 'links',
      links: [
        { to: '/connections/new', label: 'primary' },
        { to: '/import', label: 'csv' },
      ],
    });
    expect(stepAction(step(fresh, 'first_sync'), admin)).toEqual({ kind: 'links', links: [{ to: '/connections', label: 'primary' }] });
    expect(stepAction(step(fresh, 'first_brain_run'), admin)).toEqual({ kind: 'links', links: [{ to: '/', label: 'primary' }] });
    expect(stepAction(step(fresh, 'invite_teammate'), admin)).toEqual({ kind: 'links', links: [{ to: '/settings/members', label: 'primary' }] });
  });

  it('offers an analyst the CSV upload but not connecting or inviting', () => {
    const analyst = can('analyst');
    expect(stepAction(step(fresh, 'connect_data'), analyst)).toEqual({ kind: 'links', links: [{ to: '/import', label: 'csv' }] });
    expect(stepAction(step(fresh, 'invite_teammate'), analyst)).toEqual({ kind: 'ask-admin' });
  });

  it('tells a viewer who does the steps they cannot', () => {
    const viewer = can('viewer');
    expect(stepAction(step(fresh, 'connect_data'), viewer)).toEqual({ kind: 'ask-admin' });
    expect(stepAction(step(fresh, 'first_sync'), viewer).kind).toBe('links');
  });

  it('has nothing to do for a step already done', () => {
    expect(stepAction(step(onboarding(['connect_data']), 'connect_data'), can('owner'))).toEqual({ kind: 'none' });
  });
});
