import { fireEvent, screen, within } from '@testing-library/react';

import { renderWithProviders } from '../../test/render';
import { direction, planDiff, planSpec, PURCHASABLE } from './catalog';
import { PlanComparison } from './PlanComparison';

describe('the plan catalog', () => {
  it('lists the purchasable plans cheapest first, without the trial', () => {
    expect(PURCHASABLE.map((p) => p.name)).toEqual(['starter', 'growth', 'scale', 'enterprise']);
    expect(direction('starter', 'scale')).toBe('upgrade');
    expect(direction('scale', 'growth')).toBe('downgrade');
    expect(direction('trial', 'starter')).toBe('upgrade');
    expect(direction('growth', 'growth')).toBe('current');
  });

  it('says what a change does to the price and the modules', () => {
    const growth = planSpec('growth');
    const starter = planSpec('starter');
    expect(growth && starter).toBeTruthy();
    const down = planDiff('growth', starter!);
    expect(down.priceChange).toBe(-300);
    expect(down.lost).toEqual(['eyes']);
    expect(down.gained).toEqual([]);
    const fromTrial = planDiff('trial', growth!);
    expect(fromTrial.priceChange).toBe(799);
    expect(planDiff('scale', planSpec('enterprise')!).priceChange).toBeNull();
  });
});

describe('PlanComparison', () => {
  it('compares price, modules, seats and quotas per plan and marks the current one', () => {
    renderWithProviders(<PlanComparison currentPlan="growth" canManage onChoose={() => undefined} />);
    const table = screen.getByRole('table', { name: /What each plan includes/ });
    const headers = within(table).getAllByRole('columnheader').map((h) => h.textContent);
    expect(headers).toEqual(['Starter', 'Growth Current', 'Scale', 'Enterprise']);
    expect(within(table).getByRole('columnheader', { name: /Growth/ })).toHaveAttribute('aria-current', 'true');

    const price = within(table).getByRole('row', { name: /Price per month/ });
    expect(within(price).getAllByRole('cell').map((c) => c.textContent)).toEqual(['$499', '$799', '$1,499', 'Custom']);

    // EYES: not in Starter, in the others (read as words by screen readers).
    const eyes = within(table).getByRole('row', { name: /EYES/ });
    expect(within(eyes).getAllByRole('cell').map((c) => c.textContent)).toEqual([
      '—Not included',
      '✓Included',
      '✓Included',
      '✓Included',
    ]);
    const seats = within(table).getByRole('row', { name: /Maximum members/ });
    expect(within(seats).getAllByRole('cell').map((c) => c.textContent)).toEqual(['10', '25', '100', 'Unlimited']);
    const runs = within(table).getByRole('row', { name: /Brain runs \(per day\)/ });
    expect(within(runs).getAllByRole('cell').map((c) => c.textContent)).toEqual(['24', '48', '200', 'Unlimited']);
  });

  it('offers upgrades and downgrades to a billing manager', () => {
    const onChoose = vi.fn();
    renderWithProviders(<PlanComparison currentPlan="growth" canManage onChoose={onChoose} />);
    expect(screen.getByRole('button', { name: 'Downgrade to Starter' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Upgrade to Enterprise' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Growth/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Upgrade to Scale' }));
    expect(onChoose).toHaveBeenCalledWith(expect.objectContaining({ name: 'scale', monthly_price_usd: 1499 }));
  });

  it('offers every plan during the trial, and no buttons to members who cannot manage billing', () => {
    const { unmount } = renderWithProviders(<PlanComparison currentPlan="trial" canManage onChoose={() => undefined} />);
    expect(screen.getAllByRole('button', { name: /^Choose / })).toHaveLength(4);
    unmount();
    renderWithProviders(<PlanComparison currentPlan="trial" canManage={false} onChoose={() => undefined} />);
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });
});
