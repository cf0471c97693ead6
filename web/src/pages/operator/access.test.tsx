import { screen, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { Shell } from '../../layout/Shell';
import { jsonResponse, renderWithProviders } from '../../test/render';
import { me } from '../brain/testing/harness';
import { operatorFlag } from './access';

afterEach(() => vi.unstubAllGlobals());

function renderShell(operator: boolean | undefined) {
  const body = me('owner');
  if (operator !== undefined) (body.user as unknown as Record<string, unknown>).is_platform_operator = operator;
  vi.stubGlobal('fetch', async (request: Request) => {
    const path = new URL(request.url).pathname;
    if (path === '/api/v1/auth/me') return jsonResponse(200, body);
    return jsonResponse(404, { type: 'about:blank', title: 'Not found', status: 404, detail: '' }, 'application/problem+json');
  });
  return renderWithProviders(
    <Routes>
      <Route element={<Shell />}>
        <Route index element={<h1>Home</h1>} />
      </Route>
    </Routes>,
  );
}

describe('the operator flag', () => {
  it('is read from /auth/me when it reports it', () => {
    const body = me('owner');
    expect(operatorFlag(body)).toBeUndefined();
    expect(operatorFlag({ ...body, user: { ...body.user, is_platform_operator: true } as typeof body.user })).toBe(true);
    expect(operatorFlag(null)).toBeUndefined();
  });

  it('shows the operator console in the navigation to operators only', async () => {
    const { unmount } = renderShell(true);
    const nav = await screen.findByRole('navigation', { name: 'Main' });
    for (const shown of ['Tenants', 'Costs', 'Dead letters', 'Plan and billing', 'Usage', 'Model evaluations']) {
      expect(await within(nav).findByRole('link', { name: shown })).toBeInTheDocument();
    }
    unmount();
    renderShell(false);
    const other = await screen.findByRole('navigation', { name: 'Main' });
    await within(other).findByRole('link', { name: 'Plan and billing' });
    for (const hidden of ['Tenants', 'Costs', 'Dead letters']) expect(within(other).queryByRole('link', { name: hidden })).toBeNull();
  });
});
