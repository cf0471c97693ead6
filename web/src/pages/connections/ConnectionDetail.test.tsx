import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { notifySuccess } from '../../lib/notify';
import { jsonResponse, renderWithProviders } from '../../test/render';
import { LocationProbe, stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { browser } from './browser';
import ConnectionDetail from './ConnectionDetail';
import Connections from './Connections';
import { connection, provider, sync } from './testing/fixtures';

vi.mock('../../lib/notify', () => ({ notifySuccess: vi.fn(), notifyError: vi.fn(), notifyFailure: vi.fn() }));

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };
// The first render loads the session and the page's data: allow for a busy machine.
const SLOW = { timeout: 5000 };
const HISTORY = {
  data: [
    sync('succeeded', { id: 's2', created_at: '2026-11-21T10:00:00Z', started_at: '2026-11-21T10:00:01Z', mode: 'delta', trigger: 'schedule', rows_read: 80, rows_written: 80, duration_seconds: 0.4, streams: { ads_insights: { rows_read: 80, rows_written: 80, status: 'succeeded', through: '2026-11-20' } } }),
    sync('failed', { id: 's1', created_at: '2026-11-20T10:00:00Z', started_at: '2026-11-20T10:00:01Z', error: 'HTTP 503 from the platform', rows_read: 0, rows_written: 0, streams: {}, duration_seconds: 12 }),
  ],
  has_more: false,
  next_cursor: null,
};

function renderAt(route: string) {
  return renderWithProviders(
    <WhenLoggedIn>
      <Routes>
        <Route path="/connections" element={<Connections />} />
        <Route path="/connections/:id" element={<ConnectionDetail />} />
      </Routes>
      <LocationProbe />
    </WhenLoggedIn>,
    { route },
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(notifySuccess).mockClear();
});

describe('a connection’s page', () => {
  it('greets the way back from OAuth, shows health and the sync history', async () => {
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ sandbox: false, name: 'Meta Ads', last_sync_at: '2026-11-21T10:00:02Z' })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, HISTORY),
    });
    renderAt('/connections/conn-1?connected=1');
    expect(await screen.findByRole('heading', { level: 1, name: 'Meta Ads' }, SLOW)).toBeInTheDocument();
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('Meta Ads is connected'));
    expect(screen.getByRole('link', { name: 'Continue setup' })).toHaveAttribute('href', '/connections/new?connection=conn-1');
    // The address is cleaned, so a reload does not greet again.
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/connections\/conn-1$/));
    expect(notifySuccess).toHaveBeenCalledTimes(1);

    expect(screen.getAllByTestId('connection-status')[0]).toHaveTextContent('Healthy');
    const table = await screen.findByTestId('sync-history');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Delta');
    expect(rows[0]).toHaveTextContent('Scheduled');
    expect(rows[0]).toHaveTextContent('80 / 80');
    expect(rows[0]).toHaveTextContent('0.4 s');
    expect(rows[0]).toHaveTextContent('ads_insights 80 / 80');
    expect(rows[1]).toHaveTextContent('Failed');
    expect(rows[1]).toHaveTextContent('HTTP 503 from the platform');
    // The chart's numbers are readable as a table too.
    expect(screen.getByText(/Data of the chart: Rows written per sync/)).toBeInTheDocument();
  });

  it('explains an authorization the user declined, with a way to start again', async () => {
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ status: 'pending', sandbox: false, name: 'Meta Ads' })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
    });
    renderAt('/connections/conn-1?error=authorization-refused');
    const alert = await screen.findByRole('alert', { name: 'The platform was not connected' }, SLOW);
    expect(alert).toHaveTextContent('Access was declined at the platform. Start again and approve the requested permissions.');
    expect(within(alert).getByRole('link', { name: 'Start again' })).toHaveAttribute('href', '/connections/new?connection=conn-1');
    expect(screen.getAllByTestId('connection-status')[0]).toHaveTextContent('Not connected yet');
  });

  it('disconnects, purging the data only when chosen', async () => {
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection()),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'DELETE /connections/conn-1': () => new Response(null, { status: 204 }),
      'GET /connections': () => jsonResponse(200, EMPTY_PAGE),
    });
    renderAt('/connections/conn-1');
    expect(await screen.findByText(/No sync yet/, {}, SLOW)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    const dialog = await screen.findByRole('dialog', { name: 'Disconnect Meta Ads (sandbox)?' });
    fireEvent.click(within(dialog).getByRole('radio', { name: /Delete it/ }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Disconnect and delete the data' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/connections$/));
    const deleted = calls.find((c) => c.method === 'DELETE');
    expect(new URL(deleted?.url ?? '').searchParams.get('purge_data')).toBe('true');
    expect(notifySuccess).toHaveBeenCalledWith('Meta Ads (sandbox) was disconnected');
    expect(await screen.findByText(/No platform connected yet/)).toBeInTheDocument();
  });

  it('re-authorizes an OAuth connection the platform stopped accepting', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ status: 'needs_reauth', sandbox: false, name: 'Meta Ads', config: { ad_account_ids: ['act_1'] } })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /connections': () => jsonResponse(201, connection({ id: 'conn-2', status: 'pending', next_step: { type: 'oauth_redirect', authorization_url: 'https://www.facebook.com/dialog/oauth?state=xyz', fields: [] } })),
    });
    renderAt('/connections/conn-1');
    fireEvent.click(await screen.findByRole('button', { name: 'Re-authorize' }, SLOW));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://www.facebook.com/dialog/oauth?state=xyz'));
    const created = calls.find((c) => c.method === 'POST');
    expect(await created?.json()).toEqual({ provider: 'meta_ads', sandbox: false, name: 'Meta Ads', config: { ad_account_ids: ['act_1'] } });
    assign.mockRestore();
  });

  it('offers no manual sync, re-authorization or disconnect to viewers', async () => {
    stubApi(
      {
        'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
        'GET /connections/conn-1': () => jsonResponse(200, connection({ status: 'needs_reauth', sandbox: false })),
        'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      },
      'viewer',
    );
    renderAt('/connections/conn-1');
    expect((await screen.findAllByText('Needs re-authorization', {}, SLOW)).length).toBeGreaterThan(0);
    expect(screen.queryByRole('button', { name: 'Re-authorize' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Start the sync' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Disconnect' })).not.toBeInTheDocument();
  });
});

describe('the connections list', () => {
  it('explains an OAuth error from the callback and clears it when dismissed', async () => {
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections': () => jsonResponse(200, { data: [connection({ status: 'needs_reauth', last_sync_at: '2026-11-21T10:00:02Z' })], has_more: false, next_cursor: null }),
    });
    renderAt('/connections?error=access_denied');
    const alert = await screen.findByRole('alert', { name: 'The platform was not connected' }, SLOW);
    expect(alert).toHaveTextContent('Access was declined at the platform.');
    expect(await screen.findByRole('link', { name: 'Meta Ads (sandbox)' })).toHaveAttribute('href', '/connections/conn-1');
    expect(screen.getByText('1 connection(s) need attention.')).toBeInTheDocument();
    fireEvent.click(within(alert).getByRole('button', { name: 'Close' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(/^\/connections$/));
    expect(screen.queryByRole('alert', { name: 'The platform was not connected' })).not.toBeInTheDocument();
  });
});
