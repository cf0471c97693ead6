import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { jsonResponse, problem, renderWithProviders } from '../test/render';
import { initials } from './AccountButton';
import { Shell } from './Shell';

function me(role: string, memberships = 1) {
  return {
    user: { id: 'u1', email: 'v@example.com', name: 'Vic Viewer', email_verified: true, locale: 'en', mfa_enabled: false, created_at: '2026-01-01T00:00:00Z' },
    memberships: Array.from({ length: memberships }, (_, i) => ({ organization_id: `o${i}`, organization_name: `Org ${i}`, role })),
    current_organization_id: 'o0',
  };
}

function renderShell(body: unknown) {
  vi.stubGlobal('fetch', async (request: Request) =>
    new URL(request.url, 'http://localhost').pathname === '/api/v1/auth/me' ? jsonResponse(200, body) : problem(404, 'not-found', 'Not found', request.url),
  );
  return renderWithProviders(
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<h1>Home</h1>} />
      </Route>
    </Routes>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('Shell navigation', () => {
  it('shows a viewer only what a viewer may use', async () => {
    renderShell(me('viewer'));
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    expect(await within(nav).findByRole('link', { name: 'Members' })).toBeInTheDocument();
    for (const hidden of ['Settings', 'Roles', 'API keys', 'Audit log', 'Import CSV']) {
      expect(within(nav).queryByRole('link', { name: hidden })).toBeNull();
    }
    // The home page is the FACE dashboard.
    expect(within(nav).getByRole('link', { name: 'Dashboard' })).toHaveAttribute('aria-current', 'page');
    expect(within(nav).getByRole('link', { name: 'Overview' })).toHaveAttribute('href', '/data');
  });

  it('shows an admin the organization settings', async () => {
    renderShell(me('admin'));
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    for (const shown of ['Settings', 'Roles', 'API keys', 'Audit log', 'Import CSV', 'Members']) {
      expect(await within(nav).findByRole('link', { name: shown })).toBeInTheDocument();
    }
  });

  it('offers an organization switcher with several organizations, and a skip link', async () => {
    renderShell(me('owner', 2));
    expect(await screen.findByRole('combobox', { name: 'Organization' })).toHaveDisplayValue('Org 0');
    expect(screen.getByRole('link', { name: 'Skip to main content' })).toHaveAttribute('href', '#main');
  });
});

describe('Shell without layout shifts', () => {
  function deferredResponse() {
    let resolve!: (response: Response) => void;
    const promise = new Promise<Response>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  }

  function renderWithPlan(plan: Promise<Response>) {
    vi.stubGlobal('fetch', async (request: Request) => {
      const path = new URL(request.url, 'http://localhost').pathname;
      if (path === '/api/v1/auth/me') return jsonResponse(200, me('owner'));
      if (path === '/api/v1/organizations/o0/plan') return plan;
      return problem(404, 'not-found', 'Not found', path);
    });
    return renderWithProviders(
      <Routes>
        <Route element={<Shell />}>
          <Route index element={<h1>Home</h1>} />
        </Route>
      </Routes>,
    );
  }

  const trialEndingSoon = () => ({
    organization_id: 'o0',
    plan: 'trial',
    status: 'trialing',
    read_only: false,
    trial_ends_at: new Date(Date.now() + 3 * 86_400_000).toISOString(),
  });

  it('shows the page at once and the billing banner after it when the plan answers', async () => {
    const plan = deferredResponse();
    renderWithPlan(plan.promise);
    const home = await screen.findByRole('heading', { name: 'Home' });
    expect(home).toBeVisible();
    expect(screen.queryByTestId('billing-banner-trial')).toBeNull();
    plan.resolve(jsonResponse(200, trialEndingSoon()));
    const banner = await screen.findByTestId('billing-banner-trial', {}, { timeout: 3000 });
    expect(banner).toBeVisible();
    // After the page in the document (and on screen): appearing late moves nothing above it.
    expect(home.compareDocumentPosition(banner) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.getByRole('region', { name: 'Billing notice' })).toContainElement(banner);
  });

  it('shows the page when the plan has no banner or fails to load', async () => {
    renderWithPlan(Promise.resolve(problem(500, 'internal', 'Server error', 'down')));
    expect(await screen.findByRole('heading', { name: 'Home' })).toBeVisible();
    expect(screen.queryByTestId('billing-banner-trial')).toBeNull();
  });

  it('shows the page while the plan does not answer', async () => {
    renderWithPlan(new Promise<Response>(() => undefined));
    expect(await screen.findByRole('heading', { name: 'Home' })).toBeVisible();
  });

  it('shows the user menu as initials on a phone', () => {
    expect(initials('Ada Lovelace')).toBe('AL');
    expect(initials('  Grace  Brewster Hopper ')).toBe('GH');
    expect(initials('émile')).toBe('É');
    expect(initials('')).toBe('?');
  });
});
