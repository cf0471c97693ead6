import { screen, waitFor } from '@testing-library/react';

import { jsonResponse, renderWithProviders } from '../../test/render';
import { stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { daysUntil, type PlanOverview } from './api';
import BillingBanner, { bannerFor, TRIAL_WARNING_DAYS } from './BillingBanner';
import { translateBilling } from './i18n';

const NOW = new Date('2026-11-20T12:00:00Z');
const t = (key: Parameters<typeof translateBilling>[1], values?: Record<string, string | number>) => translateBilling('en', key, values);
const day = (iso: string) => iso.slice(0, 10);

function plan(overrides: Partial<PlanOverview> = {}): PlanOverview {
  return {
    organization_id: 'o',
    plan: 'trial',
    status: 'trialing',
    read_only: false,
    trial_ends_at: '2026-11-25T12:00:00Z',
    seats: { included: 5, used: 1, max: 25, billable_extra: 0 },
    entitlements: { modules: {}, features: {}, max_integrations: 4, required_plan: {} },
    quotas: {},
    ...overrides,
  };
}

/** Noon (local time) `days` calendar days from today. */
function inDays(days: number): string {
  const today = new Date();
  return new Date(today.getFullYear(), today.getMonth(), today.getDate() + days, 12).toISOString();
}

afterEach(() => vi.unstubAllGlobals());

describe('bannerFor', () => {
  it('counts the trial days left and warns only in the last week', () => {
    expect(daysUntil('2026-11-25T12:00:00Z', NOW)).toBe(5);
    expect(bannerFor(plan(), null, t, day, NOW)).toEqual({ kind: 'trial', color: 'blue', message: 'Your trial ends in 5 days (2026-11-25).' });
    expect(bannerFor(plan({ trial_ends_at: '2026-11-21T11:00:00Z' }), null, t, day, NOW)?.message).toBe('Your trial ends tomorrow (2026-11-21).');
    expect(bannerFor(plan({ trial_ends_at: '2026-11-20T18:00:00Z' }), null, t, day, NOW)?.message).toBe('Your trial ends today.');
    const far = new Date(NOW.getTime() + (TRIAL_WARNING_DAYS + 2) * 86_400_000).toISOString();
    expect(bannerFor(plan({ trial_ends_at: far }), null, t, day, NOW)).toBeNull();
  });

  it('shows a failed payment with the end of its grace period', () => {
    const pastDue = plan({ plan: 'growth', status: 'past_due', trial_ends_at: null });
    expect(bannerFor(pastDue, '2026-11-27T00:00:00Z', t, day, NOW)).toEqual({
      kind: 'past_due',
      color: 'yellow',
      message: 'Your last payment failed. Fix it before 2026-11-27 to keep full access.',
    });
    expect(bannerFor(pastDue, null, t, day, NOW)?.message).toBe('Your last payment failed. Fix it soon to keep full access.');
  });

  it('says when the organization is read-only, and why', () => {
    const restricted = bannerFor(plan({ plan: 'growth', status: 'restricted', read_only: true, trial_ends_at: null }), null, t, day, NOW);
    expect(restricted?.kind).toBe('read_only');
    expect(restricted?.color).toBe('red');
    expect(restricted?.message).toMatch(/^This organization is read-only: billing needs attention/);
    const trialOver = bannerFor(plan({ status: 'restricted', read_only: true }), null, t, day, NOW);
    expect(trialOver?.message).toMatch(/^Your trial has ended\. This organization is read-only/);
    const canceled = bannerFor(plan({ plan: 'growth', status: 'canceled', read_only: true, trial_ends_at: null }), null, t, day, NOW);
    expect(canceled?.message).toMatch(/read-only \(canceled\)/);
  });

  it('shows nothing for a healthy subscription or an unexpected answer', () => {
    expect(bannerFor(plan({ plan: 'growth', status: 'active', trial_ends_at: null }), null, t, day, NOW)).toBeNull();
    expect(bannerFor(undefined, null, t, day, NOW)).toBeNull();
    expect(bannerFor({} as PlanOverview, null, t, day, NOW)).toBeNull();
  });
});

function renderBanner() {
  return renderWithProviders(
    <WhenLoggedIn>
      <BillingBanner />
    </WhenLoggedIn>,
  );
}

describe('BillingBanner', () => {
  it('sends an owner to choose a plan when the trial is ending', async () => {
    stubApi({ 'GET /plan': () => jsonResponse(200, plan({ trial_ends_at: inDays(3) })) }, 'owner');
    renderBanner();
    const banner = await screen.findByTestId('billing-banner-trial');
    expect(banner).toHaveTextContent(/Your trial ends in 3 days/);
    expect(screen.getByRole('link', { name: 'Choose a plan' })).toHaveAttribute('href', '/settings/billing');
  });

  it('links an owner to fix a failed payment, with the grace period from the billing summary', async () => {
    const calls = stubApi(
      {
        'GET /plan': () => jsonResponse(200, plan({ plan: 'growth', status: 'past_due', trial_ends_at: null })),
        'GET /billing': () => jsonResponse(200, { grace_ends_at: '2026-12-01T00:00:00Z' }),
      },
      'owner',
    );
    renderBanner();
    const banner = await screen.findByTestId('billing-banner-past_due');
    await waitFor(() => expect(banner).toHaveTextContent(/Fix it before Dec 1, 2026/));
    expect(screen.getByRole('link', { name: 'Fix payment' })).toHaveAttribute('href', '/settings/billing');
    expect(calls.some((c) => new URL(c.url).pathname.endsWith('/billing'))).toBe(true);
  });

  it('tells a member who cannot manage billing to ask an owner, without a link', async () => {
    const calls = stubApi({ 'GET /plan': () => jsonResponse(200, plan({ plan: 'growth', status: 'restricted', read_only: true, trial_ends_at: null })) }, 'viewer');
    renderBanner();
    const banner = await screen.findByTestId('billing-banner-read_only');
    expect(banner).toHaveTextContent(/read-only.*Ask an owner of the organization to fix billing\./);
    expect(screen.queryByRole('link')).toBeNull();
    // A viewer has no billing:read: the billing summary is never asked for.
    expect(calls.some((c) => new URL(c.url).pathname.endsWith('/billing'))).toBe(false);
  });

  it('shows nothing while the subscription is fine', async () => {
    const calls = stubApi({ 'GET /plan': () => jsonResponse(200, plan({ plan: 'growth', status: 'active', trial_ends_at: null })) }, 'owner');
    renderBanner();
    await waitFor(() => expect(calls.some((c) => new URL(c.url).pathname.endsWith('/plan'))).toBe(true));
    expect(screen.queryByTestId(/billing-banner/)).toBeNull();
  });
});
