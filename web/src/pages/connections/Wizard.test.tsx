import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import { LocationProbe, stubApi, WhenLoggedIn } from '../brain/testing/harness';
import { browser } from './browser';
import { connection, provider, sync } from './testing/fixtures';
import ConnectWizard from './Wizard';

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };
// The first render loads the session and the page's data: allow for a busy machine.
const SLOW = { timeout: 5000 };
const HUBSPOT = provider({
  id: 'hubspot',
  name: 'HubSpot',
  auth: 'api_key',
  scopes: ['crm.objects.contacts.read'],
  config_schema: { type: 'object', properties: { import_contacts: { type: 'boolean', default: true } } },
  streams: [
    { name: 'contacts', primary_key: ['id'], cursor_field: 'lastmodifieddate', modes: ['incremental'], description: 'Contacts' },
    { name: 'deals', primary_key: ['id'], cursor_field: 'hs_lastmodifieddate', modes: ['incremental'], description: 'Deals' },
  ],
});
const PROVIDERS = { data: [provider(), HUBSPOT] };
const ALL_OK = {
  ok: true,
  checks: [
    { name: 'credentials', ok: true, detail: 'the access token is valid' },
    { name: 'sample read', ok: true, detail: '5 record(s) of ads_insights' },
  ],
  missing_scopes: [],
  sample_records: 5,
};

async function bodyOf(calls: Request[], method: string, suffix: string): Promise<unknown> {
  const call = calls.find((c) => c.method === method && new URL(c.url).pathname.endsWith(suffix));
  if (!call) throw new Error(`no ${method} …${suffix}`);
  return call.clone().json();
}

function heading(): HTMLElement {
  return screen.getByRole('heading', { level: 2, name: /^Step \d of 5/ });
}

function renderWizard(route = '/connections/new') {
  return renderWithProviders(
    <WhenLoggedIn>
      <ConnectWizard />
      <LocationProbe />
    </WhenLoggedIn>,
    { route },
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the connect wizard', () => {
  it('connects sandbox data, checks it, saves the streams and follows the first sync', async () => {
    let polls = 0;
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, PROVIDERS),
      'POST /connections': () => jsonResponse(201, connection()),
      'GET /connections/conn-1': () => jsonResponse(200, connection()),
      'POST /connections/conn-1/test': () => jsonResponse(200, ALL_OK),
      'PATCH /connections/conn-1': () => jsonResponse(200, connection({ backfill_start: '2026-08-01', updated_at: '2026-11-20T10:00:05Z' })),
      'POST /connections/conn-1/syncs': () => jsonResponse(202, sync('queued', { rows_read: 0, rows_written: 0, streams: {} })),
      'GET /connections/conn-1/syncs/sync-1': () => jsonResponse(200, polls++ === 0 ? sync('running') : sync('succeeded')),
      'GET /connections/conn-1/syncs': () => jsonResponse(200, EMPTY_PAGE),
      'GET /brain/runs': () => jsonResponse(200, EMPTY_PAGE),
    });
    renderWizard();

    // 1. The providers, each saying what it needs.
    const meta = await screen.findByTestId('provider-meta_ads', {}, SLOW);
    expect(meta).toHaveTextContent('Needs: Sign in with Meta Ads (OAuth); Ad account IDs');
    expect(screen.getByTestId('provider-hubspot')).toHaveTextContent('Needs: An API key or access token');
    expect(screen.getByRole('listitem', { current: 'step' })).toHaveTextContent('Choose a platform');
    fireEvent.click(within(meta).getByRole('button', { name: 'Connect Meta Ads' }));

    // 2. Authorize: focus moves to the step's heading.
    await waitFor(() => expect(heading()).toHaveTextContent('Step 2 of 5: Authorize · Meta Ads'));
    expect(heading()).toHaveFocus();
    fireEvent.click(screen.getByRole('button', { name: 'Use sandbox data' }));
    await waitFor(() => expect(heading()).toHaveTextContent('Step 3 of 5: Check access'));
    expect(await bodyOf(calls, 'POST', '/connections')).toEqual({ provider: 'meta_ads', sandbox: true });
    expect(heading()).toHaveFocus();
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/connections/new?connection=conn-1'));

    // 3. The checklist.
    expect(await screen.findByText('All checks passed. Read 5 sample record(s).')).toBeInTheDocument();
    expect(screen.getAllByTestId('check-item')).toHaveLength(2);
    // Connected: the earlier steps are closed (no way back to authorize).
    expect(screen.queryByRole('button', { name: 'Back' })).not.toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));

    // 4. Streams and backfill start.
    await waitFor(() => expect(heading()).toHaveTextContent('Step 4 of 5: What to sync'));
    expect(screen.getByRole('switch', { name: /^ads_insights/ })).toBeChecked();
    fireEvent.change(screen.getByLabelText(/Backfill from/), { target: { value: '2026-08-01' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start the first sync' }));

    // 5. Live progress, then what to do next.
    await waitFor(() => expect(heading()).toHaveTextContent('Step 5 of 5: First sync'));
    expect(await bodyOf(calls, 'PATCH', '/connections/conn-1')).toEqual({ streams: { ads_insights: true }, backfill_start: '2026-08-01', schedule_minutes: 1440 });
    expect(await bodyOf(calls, 'POST', '/syncs')).toEqual({ mode: 'backfill', start_date: '2026-08-01' });
    expect(await screen.findByRole('progressbar', { name: 'ads_insights: 50%' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('sync-progress')).toHaveAttribute('data-status', 'succeeded'), { timeout: 4000 });
    expect(screen.getByRole('progressbar', { name: 'ads_insights: 100%' })).toBeInTheDocument();
    expect(screen.getByText('The first sync finished: 1,216 rows written.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Go to the dashboard' })).toHaveAttribute('href', '/');
    expect(screen.getByRole('link', { name: 'Open the connection' })).toHaveAttribute('href', '/connections/conn-1');
    expect(screen.getByRole('button', { name: 'Run the brain now' })).toBeInTheDocument();
  });

  it('sends an OAuth platform’s account details and leaves for its authorization page', async () => {
    const assign = vi.spyOn(browser, 'assign').mockImplementation(() => undefined);
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, PROVIDERS),
      'POST /connections': () =>
        jsonResponse(201, connection({ id: 'conn-2', status: 'pending', sandbox: false, next_step: { type: 'oauth_redirect', authorization_url: 'https://www.facebook.com/dialog/oauth?state=abc', fields: [] } })),
    });
    renderWizard();
    fireEvent.click(await screen.findByRole('button', { name: 'Connect Meta Ads' }, SLOW));
    const accounts = await screen.findByRole('textbox', { name: /Ad account IDs/ });
    fireEvent.click(screen.getByRole('button', { name: 'Continue to Meta Ads' }));
    expect(await screen.findByText('Required')).toBeInTheDocument();
    fireEvent.change(accounts, { target: { value: '123' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue to Meta Ads' }));
    expect(await screen.findByText('This does not look right; check the format.')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(accounts, { target: { value: 'act_123, act_456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue to Meta Ads' }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith('https://www.facebook.com/dialog/oauth?state=abc'));
    expect(await bodyOf(calls, 'POST', '/connections')).toEqual({ provider: 'meta_ads', sandbox: false, config: { ad_account_ids: ['act_123', 'act_456'] } });
  });

  it('lets a refused API key be replaced from the checklist, then continues', async () => {
    let tests = 0;
    const calls = stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, PROVIDERS),
      'POST /connections': () => jsonResponse(201, connection({ id: 'conn-3', provider: 'hubspot', name: 'HubSpot', sandbox: false, streams: [{ name: 'contacts', enabled: true }, { name: 'deals', enabled: true }] })),
      'GET /connections/conn-3': () => jsonResponse(200, connection({ id: 'conn-3', provider: 'hubspot', name: 'HubSpot', sandbox: false, streams: [{ name: 'contacts', enabled: true }, { name: 'deals', enabled: true }] })),
      'POST /connections/conn-3/test': () =>
        jsonResponse(
          200,
          tests++ === 0
            ? { ok: false, checks: [{ name: 'credentials', ok: false, detail: 'HTTP 401: invalid token' }], missing_scopes: [], sample_records: 0 }
            : { ok: true, checks: [{ name: 'credentials', ok: true, detail: 'the token is accepted' }], missing_scopes: [], sample_records: 3 },
        ),
      'PATCH /connections/conn-3': () => jsonResponse(200, connection({ id: 'conn-3', provider: 'hubspot', name: 'HubSpot', sandbox: false, streams: [{ name: 'contacts', enabled: true }, { name: 'deals', enabled: true }] })),
    });
    renderWizard();
    fireEvent.click(await screen.findByRole('button', { name: 'Connect HubSpot' }, SLOW));
    fireEvent.click(await screen.findByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Required')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText(/^API key/), { target: { value: 'pat-old' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(heading()).toHaveTextContent('Step 3 of 5: Check access · HubSpot'));
    expect(await bodyOf(calls, 'POST', '/connections')).toEqual({ provider: 'hubspot', sandbox: false, config: {}, credentials: { api_key: 'pat-old' } });

    const failed = await screen.findByTestId('check-item');
    expect(failed).toHaveTextContent('Credentials — Failed');
    expect(failed).toHaveTextContent('How to fix: The key was refused.');
    expect(screen.queryByRole('button', { name: 'Continue' })).not.toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Enter a new key'), { target: { value: 'pat-new' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save the key' }));
    expect(await screen.findByText('All checks passed. Read 3 sample record(s).')).toBeInTheDocument();
    expect(await bodyOf(calls, 'PATCH', '/connections/conn-3')).toEqual({ credentials: { api_key: 'pat-new' } });
    fireEvent.click(screen.getByRole('button', { name: 'Continue' }));
    await waitFor(() => expect(heading()).toHaveTextContent('Step 4 of 5'));
    // Both streams off: nothing to sync is refused before any request.
    fireEvent.click(screen.getByRole('switch', { name: /^contacts/ }));
    fireEvent.click(screen.getByRole('switch', { name: /^deals/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Start the first sync' }));
    expect(await screen.findByText('Switch on at least one stream.')).toBeInTheDocument();
    // The stepper goes back to the checks (a step already reached), by keyboard too.
    const back = within(screen.getByRole('navigation', { name: 'Steps' })).getByRole('button', { name: /Check access/ });
    back.focus();
    fireEvent.click(back);
    await waitFor(() => expect(heading()).toHaveTextContent('Step 3 of 5: Check access'));
    expect(heading()).toHaveFocus();
  });

  it('resumes a connection from the address at its checks', async () => {
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, PROVIDERS),
      'GET /connections/conn-1': () => jsonResponse(200, connection({ sandbox: false })),
      'POST /connections/conn-1/test': () => jsonResponse(200, ALL_OK),
    });
    renderWizard('/connections/new?connection=conn-1');
    await waitFor(() => expect(heading()).toHaveTextContent('Step 3 of 5: Check access · Meta Ads'), SLOW);
    expect(await screen.findByText('All checks passed. Read 5 sample record(s).')).toBeInTheDocument();
  });

  it('explains a connection that cannot be resumed', async () => {
    stubApi({
      'GET /api/v1/integrations/providers': () => jsonResponse(200, PROVIDERS),
      'GET /connections/gone': () => problem(404, 'not-found', 'Not found', 'Connection not found.'),
    });
    renderWizard('/connections/new?connection=gone');
    expect(await screen.findByText('Connection not found.', {}, SLOW)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Start again' }));
    expect(await screen.findByRole('button', { name: 'Connect Meta Ads' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent(/^\/connections\/new$/);
  });
});
