import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { notifySuccess } from '../../lib/notify';
import { jsonResponse, problem, renderWithProviders } from '../../test/render';
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
    sync('succeeded', { id: 's2', created_at: '2026-11-21T10:00:00Z', started_at: '2026-11-21T10:00:01Z', mode: 'delta', trigger: 'schedule', rows_read: 80, rows_written: 80, duration_seconds: 0.4, streams: { ads_insights: { rows_read: 80, rows_written: 80, status: 'succeeded', through: '2026-11-20', started_at: '2026-11-21T10:00:01Z', finished_at: '2026-11-21T10:00:01.300Z', seconds: 0.3 } } }),
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
    expect(rows[0]).toHaveTextContent('ads_insights 80 / 80 · 0.3 s');
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

  it('re-authorizes an OAuth connection the platform stopped accepting: the same connection, at the platform', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ status: 'needs_reauth', sandbox: false, name: 'Meta Ads', config: { ad_account_ids: ['act_1'] } })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /connections/conn-1/reauthorize': () =>
        jsonResponse(200, connection({ status: 'needs_reauth', sandbox: false, name: 'Meta Ads', next_step: { type: 'oauth_redirect', authorization_url: 'https://www.facebook.com/dialog/oauth?state=xyz', fields: [] } })),
    });
    renderAt('/connections/conn-1');
    expect(await screen.findByText(/Meta Ads no longer accepts this sign-in/, {}, SLOW)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Re-authorize' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://www.facebook.com/dialog/oauth?state=xyz'));
    const sent = calls.filter((c) => c.method === 'POST');
    expect(sent.map((c) => new URL(c.url).pathname.split('/').slice(-2).join('/'))).toEqual(['conn-1/reauthorize']);
    expect(await sent[0]?.json()).toEqual({});
    expect(await screen.findByRole('button', { name: 'Opening Meta Ads…' })).toBeInTheDocument();
    assign.mockRestore();
  });

  it('re-authorizes an API-key connection with a new key in a dialog, and says what the platform refused', async () => {
    let attempts = 0;
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider({ id: 'shopify', name: 'Shopify', auth: 'api_key' })] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ provider: 'shopify', status: 'error', sandbox: false, name: 'Shop', last_error: 'HTTP 401' })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /connections/conn-1/reauthorize': () => {
        attempts += 1;
        return attempts === 1
          ? problem(422, 'validation-error', 'Validation error', 'Shopify refused the key.', { errors: [{ loc: ['body', 'credentials', 'api_key'], message: 'refused by Shopify' }] })
          : jsonResponse(200, connection({ provider: 'shopify', status: 'active', sandbox: false, name: 'Shop' }));
      },
    });
    renderAt('/connections/conn-1');
    fireEvent.click(await screen.findByRole('button', { name: 'Re-authorize' }, SLOW));
    const dialog = await screen.findByRole('dialog', { name: 'A new API key for Shop' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Re-authorize' }));
    expect(await within(dialog).findByText('Required')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    fireEvent.change(within(dialog).getByLabelText(/API key/), { target: { value: ' shpat_old ' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Re-authorize' }));
    expect(await within(dialog).findByText('refused by Shopify')).toBeInTheDocument();
    fireEvent.change(within(dialog).getByLabelText(/API key/), { target: { value: 'shpat_new' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Re-authorize' }));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('Shop is authorized again'));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const bodies = await Promise.all(calls.filter((c) => c.method === 'POST').map((c) => c.json()));
    expect(bodies).toEqual([{ credentials: { api_key: 'shpat_old' } }, { credentials: { api_key: 'shpat_new' } }]);
  });

  it('re-activates a sandbox connection at once', async () => {
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ status: 'needs_reauth' })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'POST /connections/conn-1/reauthorize': () => jsonResponse(200, connection({ status: 'active' })),
    });
    renderAt('/connections/conn-1');
    fireEvent.click(await screen.findByRole('button', { name: 'Re-authorize' }, SLOW));
    await waitFor(() => expect(notifySuccess).toHaveBeenCalledWith('Meta Ads (sandbox) is authorized again'));
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
    await waitFor(() => expect(screen.getAllByTestId('connection-status')[0]).toHaveTextContent('Healthy'));
  });

  it('lists the failed inbound events of this connection only', async () => {
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider({ id: 'shopify', name: 'Shopify', auth: 'api_key' })] }),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ provider: 'shopify', sandbox: false, name: 'Shop' })),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'GET /webhooks/dead-letters': () =>
        jsonResponse(200, {
          data: [{ id: 'dl-1', direction: 'inbound', delivery_id: null, inbound_event_id: 'ev-1', event_type: 'orders/create', attempts: 5, error: 'bad payload', created_at: '2026-11-24T10:00:00Z', replayed_at: null }],
          has_more: false,
          next_cursor: null,
        }),
    });
    renderAt('/connections/conn-1');
    const table = await screen.findByTestId('dead-letters-inbound', {}, SLOW);
    expect(within(table).getByText('orders/create')).toBeInTheDocument();
    const asked = new URL(calls.find((c) => new URL(c.url).pathname.endsWith('/webhooks/dead-letters'))?.url ?? '').searchParams;
    expect(asked.get('connection_id')).toBe('conn-1');
    expect(asked.get('direction')).toBe('inbound');
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

  it('offers to re-authorize the connections that need it, right from the list', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, { data: [provider()] }),
      'GET /connections': () =>
        jsonResponse(200, {
          data: [
            connection({ id: 'conn-1', name: 'Meta EU', sandbox: false, status: 'needs_reauth' }),
            connection({ id: 'conn-2', name: 'Meta US', sandbox: false, status: 'active' }),
          ],
          has_more: false,
          next_cursor: null,
        }),
      'POST /connections/conn-1/reauthorize': () =>
        jsonResponse(200, connection({ id: 'conn-1', status: 'needs_reauth', sandbox: false, next_step: { type: 'oauth_redirect', authorization_url: 'https://www.facebook.com/dialog/oauth?state=abc', fields: [] } })),
    });
    renderAt('/connections');
    fireEvent.click(await screen.findByRole('button', { name: 'Re-authorize Meta EU' }, SLOW));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://www.facebook.com/dialog/oauth?state=abc'));
    expect(screen.queryByRole('button', { name: 'Re-authorize Meta US' })).toBeNull();
    assign.mockRestore();
  });
});
