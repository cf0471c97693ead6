import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { jsonResponse, renderWithProviders } from '../test/render';
import { Shell } from './Shell';

function me(role: string, memberships = 1) {
  return {
    user: { id: 'u1', email: 'v@example.com', name: 'Vic Viewer', email_verified: true, locale: 'en', mfa_enabled: false, created_at: '2026-01-01T00:00:00Z' },
    memberships: Array.from({ length: memberships }, (_, i) => ({ organization_id: `o${i}`, organization_name: `Org ${i}`, role })),
    current_organization_id: 'o0',
  };
}

function renderShell(body: unknown) {
  vi.stubGlobal('fetch', async () => jsonResponse(200, body));
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
    expect(await screen.findByRole('textbox', { name: 'Organization' })).toHaveValue('Org 0');
    expect(screen.getByRole('link', { name: 'Skip to main content' })).toHaveAttribute('href', '#main');
  });
});
