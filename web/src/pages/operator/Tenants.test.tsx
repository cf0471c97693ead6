import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import { stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { costAlerts, weekWindows, type Tenant, type TenantCost } from './api';
import { costByMeter, weeklyRows } from './Costs';
import { translateOperator } from './i18n';
import Tenants from './Tenants';

afterEach(() => vi.unstubAllGlobals());

function tenant(id: string, name: string, overrides: Partial<Tenant> = {}): Tenant {
  return {
    id,
    name,
    slug: name.toLowerCase(),
    plan: 'growth',
    status: 'active',
    read_only: false,
    created_at: '2026-10-01T00:00:00Z',
    deleted_at: null,
    seats: { included: 10, used: 3, max: 25 },
    events_this_month: { limit: 500000, used: 1000, resets_at: '2026-12-01T00:00:00Z' },
    usage_this_month: {},
    cost_usd: 10,
    revenue_usd: 500,
    margin_usd: 490,
    ...overrides,
  };
}

const TENANTS = [
  tenant('t1', 'Acme', { cost_usd: 12.5, margin_usd: 487.5 }),
  tenant('t2', 'Beauty Co', { plan: 'starter', cost_usd: 200, revenue_usd: 300, margin_usd: 100, status: 'past_due' }),
  tenant('t3', 'Zeta', { plan: 'enterprise', cost_usd: 40, revenue_usd: null, margin_usd: null }),
];

function renderTenants() {
  return renderWithProviders(
    <WhenLoggedIn>
      <Tenants />
    </WhenLoggedIn>,
  );
}

function names(): string[] {
  return screen.getAllByTestId('tenant-row').map((row) => within(row).getAllByRole('link')[0]?.textContent ?? '');
}

describe('the tenants list', () => {
  it('lists tenants by cost, most expensive first, and sorts by any column', async () => {
    stubApi({ 'GET /api/v1/admin/organizations': () => jsonResponse(200, { data: TENANTS, has_more: false, next_cursor: null }) });
    renderTenants();
    await screen.findByTestId('tenants-table');
    expect(names()).toEqual(['Beauty Co', 'Zeta', 'Acme']);
    expect(screen.getByRole('columnheader', { name: /Cost/ })).toHaveAttribute('aria-sort', 'descending');
    const beauty = screen.getAllByTestId('tenant-row')[0]!;
    expect(beauty).toHaveTextContent('Payment overdue');
    expect(beauty).toHaveTextContent('$200$300$100');

    fireEvent.click(screen.getByRole('button', { name: /^Tenant/ }));
    expect(names()).toEqual(['Acme', 'Beauty Co', 'Zeta']);
    expect(screen.getByRole('columnheader', { name: /Tenant/ })).toHaveAttribute('aria-sort', 'ascending');
    fireEvent.click(screen.getByRole('button', { name: /^Tenant/ }));
    expect(names()).toEqual(['Zeta', 'Beauty Co', 'Acme']);

    // Margin: unknown (custom-priced Enterprise) always last.
    fireEvent.click(screen.getByRole('button', { name: /^Margin/ }));
    expect(names()).toEqual(['Acme', 'Beauty Co', 'Zeta']);
    fireEvent.click(screen.getByRole('button', { name: /^Margin/ }));
    expect(names()).toEqual(['Beauty Co', 'Acme', 'Zeta']);
    expect(screen.getByRole('link', { name: 'Open Acme' })).toHaveAttribute('href', '/operator/tenants/t1');
  });

  it('filters by plan on the server', async () => {
    const calls = stubApi({ 'GET /api/v1/admin/organizations': () => jsonResponse(200, { data: TENANTS, has_more: false, next_cursor: null }) });
    renderTenants();
    await screen.findByTestId('tenants-table');
    fireEvent.click(screen.getByRole('textbox', { name: 'Plan' }));
    fireEvent.click(await screen.findByRole('option', { name: 'Starter' }));
    await waitFor(() => expect(calls.some((c) => new URL(c.url).searchParams.get('plan') === 'starter')).toBe(true));
  });

  it('shows the no-permission state to someone who is not an operator', async () => {
    stubApi({ 'GET /api/v1/admin/organizations': () => problem(403, 'operator-required', 'Platform operators only', 'Admin endpoints are for platform operators.') });
    renderTenants();
    expect(await screen.findByRole('heading', { name: 'You do not have permission to see this.' })).toBeInTheDocument();
    expect(screen.queryByRole('table')).toBeNull();
  });
});

describe('cost helpers', () => {
  it('splits a period into weeks ending on its last day', () => {
    expect(weekWindows('2026-11-20', 2)).toEqual([
      { start: '2026-11-07', end: '2026-11-13' },
      { start: '2026-11-14', end: '2026-11-20' },
    ]);
  });

  it('alerts on tenants over their plan’s cost share, and stacks cost by plan and meter', () => {
    const cost = (plan: string, share: number | null): TenantCost => ({
      organization_id: plan,
      name: plan,
      plan,
      cost_usd: 1,
      revenue_usd: 1,
      margin_usd: 0,
      cost_share_of_price: share,
      by_meter: { api_requests: 1, llm_tokens_in: 2 },
    });
    // Starter alerts above 30 %, growth above 40 %; trials and Enterprise have no share.
    const alerts = costAlerts([cost('starter', 0.35), cost('growth', 0.35), cost('trial', null)]);
    expect(alerts.map((a) => [a.tenant.plan, a.threshold])).toEqual([['starter', 0.3]]);
    const report = { start: '', end: '', days: 7, total_cost_usd: 3, tenants: [cost('growth', 0.1), cost('scale', 0.1)], plans: [{ plan: 'growth', tenants: 1, cost_usd: 3, revenue_usd: 5, margin_usd: 2 }], top_movers: [] };
    expect(costByMeter(report)).toEqual([
      { meter: 'llm_tokens_in', cost: 4 },
      { meter: 'api_requests', cost: 2 },
    ]);
    expect(weeklyRows([{ start: '2026-11-01' }, { start: '2026-11-08' }], [report, undefined])).toEqual({
      plans: ['growth'],
      rows: [
        { week: '2026-11-01', growth: 3 },
        { week: '2026-11-08', growth: 0 },
      ],
    });
  });

  it('has the console in Spanish too', () => {
    expect(translateOperator('es', 'tenants.title')).toBe('Clientes');
  });
});
