import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { notifySuccess } from '../../lib/notify';
import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import { stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { redirect } from './api';
import { planSpec } from './catalog';
import { ChangePlanDialog, type BillingMode } from './ChangePlanDialog';

vi.mock('../../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn() }));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.mocked(notifySuccess).mockClear();
});

function renderDialog(target: string, current: string, mode: BillingMode, onClose = vi.fn()) {
  renderWithProviders(
    <WhenLoggedIn>
      <ChangePlanDialog target={planSpec(target) ?? null} currentPlan={current} mode={mode} onClose={onClose} />
    </WhenLoggedIn>,
  );
  return onClose;
}

function sent(calls: Request[], method: string, suffix: string): Request | undefined {
  return calls.find((c) => c.method === method && new URL(c.url).pathname.endsWith(suffix));
}

const PLAN_READ = {
  organization_id: 'o',
  plan: 'growth',
  previous_plan: 'trial',
  limits: { included_seats: 10, max_seats: 25, max_integrations: 4, sso_enforcement: false, custom_retention: false },
  members: 1,
  billable_extra_seats: 0,
};

describe('ChangePlanDialog in local mode', () => {
  it('shows what changes, says nothing is charged and switches on confirm', async () => {
    const calls = stubApi({ 'POST /plan': () => jsonResponse(200, PLAN_READ) });
    const onClose = renderDialog('growth', 'trial', 'local');
    const dialog = await screen.findByRole('dialog', { name: 'Change plan to Growth' });
    expect(within(dialog).getByTestId('price-change')).toHaveTextContent('Difference per month: +$799');
    expect(within(dialog).getByText('Local mode: the change applies at once and nothing is charged.')).toBeInTheDocument();
    expect(within(dialog).queryByText(/Modules you lose/)).toBeNull();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm the change' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('You are now on the Growth plan.'));
    expect(onClose).toHaveBeenCalled();
    expect(await sent(calls, 'POST', '/plan')?.json()).toEqual({ plan: 'growth', proration_date: null });
    expect(sent(calls, 'POST', '/billing/preview')).toBeUndefined();
  });

  it('lists what must change when the organization does not fit the smaller plan', async () => {
    stubApi({
      'POST /plan': () =>
        problem(409, 'conflict', 'Conflict', 'The organization exceeds the starter plan’s limits.', {
          target_plan: 'starter',
          violations: [
            { limit: 'members', current: 12, allowed: 10, action: 'Remove 2 member(s): the starter plan allows 10.' },
            { limit: 'data_retention_days', current: 365, allowed: 730, action: 'Set data retention back to 730 days.' },
          ],
        }),
    });
    const onClose = renderDialog('starter', 'growth', 'local');
    const dialog = await screen.findByRole('dialog', { name: 'Change plan to Starter' });
    expect(within(dialog).getByText(/Modules you lose: EYES/)).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm the change' }));
    const alert = await within(dialog).findByRole('alert', { name: /does not fit/ });
    expect(alert).toHaveTextContent('The Starter plan does not fit this organization yet');
    expect(within(alert).getByText('Remove 2 member(s): the starter plan allows 10.')).toBeInTheDocument();
    expect(within(alert).getByText('(now 12, allowed 10)')).toBeInTheDocument();
    expect(within(alert).getByRole('link', { name: 'Manage members' })).toHaveAttribute('href', '/settings/members');
    expect(within(alert).getByRole('link', { name: 'Open organization settings' })).toHaveAttribute('href', '/settings/organization');
    expect(onClose).not.toHaveBeenCalled();
    expect(notifySuccess).not.toHaveBeenCalled();
  });
});

describe('ChangePlanDialog with a Stripe subscription', () => {
  it('previews the prorated charge before confirming, and confirms exactly that preview', async () => {
    const calls = stubApi({
      'POST /billing/preview': () =>
        jsonResponse(200, { plan: 'scale', amount_due: 123456, proration_amount: 70000, currency: 'usd', proration_date: 1764000000, seats: 25 }),
      'POST /plan': () => jsonResponse(200, { ...PLAN_READ, plan: 'scale', previous_plan: 'growth' }),
    });
    renderDialog('scale', 'growth', 'stripe');
    const dialog = await screen.findByRole('dialog', { name: 'Change plan to Scale' });
    const preview = await within(dialog).findByTestId('proration-preview');
    expect(preview).toHaveTextContent('Prorated adjustment for the rest of this period$700.00');
    expect(preview).toHaveTextContent('Due on the next invoice$1,234.56');
    expect(preview).toHaveTextContent('Billed seats25');
    expect(await sent(calls, 'POST', '/billing/preview')?.json()).toEqual({ plan: 'scale' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm the change' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('You are now on the Scale plan.'));
    expect(await sent(calls, 'POST', '/plan')?.json()).toEqual({ plan: 'scale', proration_date: 1764000000 });
  });

  it('cannot be confirmed while the preview failed', async () => {
    stubApi({ 'POST /billing/preview': () => problem(502, 'payment-provider-error', 'Payment provider error', 'Stripe could not be reached.') });
    renderDialog('scale', 'growth', 'stripe');
    const dialog = await screen.findByRole('dialog', { name: 'Change plan to Scale' });
    expect(await within(dialog).findByText('Stripe could not be reached.')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Confirm the change' })).toBeDisabled();
  });
});

describe('ChangePlanDialog without a subscription yet', () => {
  it('continues to Stripe Checkout', async () => {
    const go = vi.spyOn(redirect, 'to').mockImplementation(() => undefined);
    const calls = stubApi({
      'POST /billing/checkout': () => jsonResponse(200, { mode: 'stripe', plan: 'growth', url: 'https://checkout.stripe.com/c/pay/cs_test_1', session_id: 'cs_test_1' }),
    });
    renderDialog('growth', 'trial', 'checkout');
    const dialog = await screen.findByRole('dialog', { name: 'Change plan to Growth' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Continue to Checkout' }));
    await waitFor(() => expect(go).toHaveBeenCalledWith('https://checkout.stripe.com/c/pay/cs_test_1'));
    expect(await sent(calls, 'POST', '/billing/checkout')?.json()).toMatchObject({ plan: 'growth', success_path: '/settings/billing?checkout=success' });
  });
});
