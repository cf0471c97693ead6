import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { jsonResponse, renderWithProviders } from '../../test/render';
import { stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { dailySeries, quotaShare, type BillingSummary, type Usage as UsageData } from './api';
import Billing, { billingMode } from './Billing';
import { translateBilling } from './i18n';
import Usage, { quotaTone, rangeDates } from './Usage';

vi.mock('../../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn() }));

afterEach(() => vi.unstubAllGlobals());

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };

function summary(overrides: Partial<BillingSummary> = {}): BillingSummary {
  return {
    mode: 'local',
    plan: 'trial',
    status: 'trialing',
    read_only: false,
    monthly_price_usd: null,
    seats: { included: 5, used: 2, max: 25, billable_extra: 0 },
    trial_ends_at: '2099-01-10T00:00:00Z',
    grace_ends_at: null,
    current_period_end: null,
    cancel_at_period_end: false,
    next_invoice: null,
    has_payment_account: false,
    banners: [],
    ...overrides,
  };
}

function usage(): UsageData {
  return {
    organization_id: 'o',
    plan: 'growth',
    quotas: {
      events_per_month: { limit: 500000, used: 450000, resets_at: '2026-12-01T00:00:00Z' },
      brain_runs_per_day: { limit: 48, used: 48, resets_at: '2026-11-21T00:00:00Z' },
      actions_per_day: { limit: null, used: 3, resets_at: '2026-11-21T00:00:00Z' },
    },
    start: '2026-11-01',
    end: '2026-11-04',
    meters: [
      { day: '2026-11-01', meter: 'api_requests', dimension: '', amount: 120 },
      { day: '2026-11-03', meter: 'api_requests', dimension: '', amount: 80 },
      { day: '2026-11-02', meter: 'llm_tokens_in', dimension: 'gpt-4o', amount: 1000 },
      { day: '2026-11-02', meter: 'llm_tokens_in', dimension: 'offline-echo-1', amount: 500 },
    ],
    totals: { api_requests: 200, llm_tokens_in: 1500 },
  };
}

describe('helpers', () => {
  it('chooses how a plan change goes through', () => {
    expect(billingMode(summary())).toBe('local');
    expect(billingMode(summary({ mode: 'stripe' }))).toBe('checkout');
    expect(billingMode(summary({ mode: 'stripe', status: 'active', current_period_end: '2026-12-01T00:00:00Z' }))).toBe('stripe');
    expect(billingMode(summary({ mode: 'stripe', status: 'canceled', current_period_end: '2026-12-01T00:00:00Z' }))).toBe('checkout');
  });

  it('turns metered usage into one zero-filled row per day, stacked by dimension', () => {
    expect(dailySeries(usage(), 'api_requests')).toEqual({
      series: ['api_requests'],
      rows: [
        { day: '2026-11-01', api_requests: 120 },
        { day: '2026-11-02', api_requests: 0 },
        { day: '2026-11-03', api_requests: 80 },
        { day: '2026-11-04', api_requests: 0 },
      ],
    });
    const tokens = dailySeries(usage(), 'llm_tokens_in');
    expect(tokens.series).toEqual(['gpt-4o', 'offline-echo-1']);
    expect(tokens.rows[1]).toEqual({ day: '2026-11-02', 'gpt-4o': 1000, 'offline-echo-1': 500 });
  });

  it('measures quotas and their warning colors', () => {
    expect(quotaShare({ limit: 100, used: 85 })).toBe(0.85);
    expect(quotaShare({ limit: null, used: 85 })).toBeNull();
    expect(quotaShare({ limit: 0, used: 0 })).toBe(0);
    expect(quotaTone(0.5)).toBe('blue');
    expect(quotaTone(0.85)).toBe('orange');
    expect(quotaTone(1)).toBe('red');
    expect(quotaTone(null)).toBe('blue');
    expect(rangeDates('month')).toEqual({});
    expect(rangeDates('30d', new Date('2026-11-20T10:00:00Z'))).toEqual({ start: '2026-10-22', end: '2026-11-20' });
  });

  it('has every string in Spanish too', () => {
    expect(translateBilling('es', 'billing.title')).toBe('Plan y facturación');
    expect(translateBilling('es', 'banner.trial', { days: 3, date: '5 dic' })).toBe('Tu prueba termina en 3 días (5 dic).');
  });
});

describe('the billing page', () => {
  it('labels local mode, shows the plan, seats and trial, and has no invoices', async () => {
    stubApi({ 'GET /billing': () => jsonResponse(200, summary()), 'GET /billing/invoices': () => jsonResponse(200, EMPTY_PAGE) }, 'owner');
    renderWithProviders(
      <WhenLoggedIn>
        <Billing />
      </WhenLoggedIn>,
    );
    expect(await screen.findByTestId('local-mode')).toHaveTextContent(/Local mode: no payments/);
    expect(screen.getByTestId('current-plan')).toHaveTextContent('Trial');
    const facts = screen.getByTestId('billing-summary');
    expect(within(facts).getByText('2 of 5 included seats used')).toBeInTheDocument();
    expect(within(facts).getByText(/Jan 10, 2099 \(\d+ days left\)/)).toBeInTheDocument();
    expect(await screen.findByText('Local mode has no invoices: nothing is charged.')).toBeInTheDocument();
    // No Stripe: no customer portal.
    expect(screen.queryByRole('button', { name: 'Manage payment and invoices' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Choose Growth' }));
    expect(await screen.findByRole('dialog', { name: 'Change plan to Growth' })).toBeInTheDocument();
  });

  it('shows an admin the plan without the buttons to change it', async () => {
    stubApi({ 'GET /billing': () => jsonResponse(200, summary({ mode: 'stripe', plan: 'growth', status: 'active', monthly_price_usd: 799, trial_ends_at: null })), 'GET /billing/invoices': () => jsonResponse(200, EMPTY_PAGE) }, 'admin');
    renderWithProviders(
      <WhenLoggedIn>
        <Billing />
      </WhenLoggedIn>,
    );
    expect(await screen.findByText('Only owners can change the plan or the payment method.')).toBeInTheDocument();
    expect(screen.getByText('$799 / month')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Upgrade|Downgrade/ })).toBeNull();
    expect(await screen.findByText('No invoices yet. They appear here after the first payment.')).toBeInTheDocument();
  });
});

describe('the usage page', () => {
  it('shows every quota against its limit and the usage per day', async () => {
    stubApi({ 'GET /usage': () => jsonResponse(200, usage()) }, 'admin');
    renderWithProviders(
      <WhenLoggedIn>
        <Usage />
      </WhenLoggedIn>,
    );
    const events = await screen.findByTestId('quota-events_per_month');
    expect(events).toHaveTextContent('Events ingested (per month)');
    expect(events).toHaveTextContent('Near the limit');
    expect(events).toHaveTextContent('450,000 of 500,000');
    expect(within(events).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '90');
    expect(screen.getByTestId('quota-brain_runs_per_day')).toHaveTextContent('Limit reached');
    expect(screen.getByTestId('quota-actions_per_day')).toHaveTextContent('3 used · unlimited');
    await waitFor(() => expect(screen.getByTestId('usage-total')).toHaveTextContent('Total in the period: 200'));
    // The chart's numbers as a table for screen readers.
    expect(screen.getByText(/Data of the chart: API requests/)).toBeInTheDocument();
  });
});
