import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router-dom';

import { jsonResponse, renderWithProviders } from '../../test/render';
import { LocationProbe, stubApi, WhenLoggedIn } from '../brain/testing/harness';
import type { Attempt, Endpoint } from './api';
import { EVENT_HELP_ES, eventHelp } from './events';
import EndpointDetail from './EndpointDetail';
import Endpoints from './Endpoints';

const EMPTY_PAGE = { data: [], has_more: false, next_cursor: null };
// The API's catalogue (a type the client does not know yet is not offered).
const EVENT_TYPES = {
  data: [
    { type: 'sync.completed', description: 'A connection’s sync run finished: sync_id, connection_id.' },
    { type: 'sync.failed', description: 'A connection’s sync run failed.' },
    { type: 'webhook.test', description: 'A test event sent on request to one endpoint.' },
    { type: 'brand.new', description: 'Not known to this client.' },
  ],
};
// The first render loads the session and the page's data: allow for a busy machine.
const SLOW = { timeout: 5000 };

function endpoint(overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    id: 'ep-1',
    created_at: '2026-11-25T10:00:00Z',
    updated_at: '2026-11-25T10:00:00Z',
    url: 'https://hooks.example.com/brain',
    events: ['sync.completed', 'webhook.test'],
    description: null,
    enabled: true,
    disabled_reason: null,
    disabled_at: null,
    failing_since: null,
    previous_secret_expires_at: null,
    ...overrides,
  };
}

function attempt(overrides: Partial<Attempt> = {}): Attempt {
  return {
    id: 'at-1',
    delivery_id: 'del-1',
    event_id: 'ev-1',
    event_type: 'webhook.test',
    attempt_number: 1,
    requested_at: '2026-11-25T10:05:00Z',
    duration_ms: 42,
    status_code: 200,
    succeeded: true,
    error: null,
    response_body: 'ok',
    next_attempt_at: null,
    ...overrides,
  };
}

async function bodyOf(calls: Request[], method: string, suffix: string): Promise<unknown> {
  const call = calls.find((c) => c.method === method && new URL(c.url).pathname.endsWith(suffix));
  if (!call) throw new Error(`no ${method} …${suffix}`);
  return call.clone().json();
}

function renderAt(route: string) {
  return renderWithProviders(
    <WhenLoggedIn>
      <Routes>
        <Route path="/settings/webhooks" element={<Endpoints />} />
        <Route path="/settings/webhooks/:id" element={<EndpointDetail />} />
      </Routes>
      <LocationProbe />
    </WhenLoggedIn>,
    { route },
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('webhook endpoints', () => {
  it('creates an endpoint and shows its secret once, with a copy button', async () => {
    const calls = stubApi({
      'GET /api/v1/webhooks/event-types': () => jsonResponse(200, EVENT_TYPES),
      'GET /webhook-endpoints': () => jsonResponse(200, EMPTY_PAGE),
      'GET /webhooks/dead-letters': () => jsonResponse(200, EMPTY_PAGE),
      'POST /webhook-endpoints': () => jsonResponse(201, { ...endpoint(), secret: 'whsec_c2VjcmV0LXNlY3JldA==' }),
      'GET /webhook-endpoints/ep-1': () => jsonResponse(200, endpoint()),
      'GET /webhook-endpoints/ep-1/deliveries': () => jsonResponse(200, EMPTY_PAGE),
    });
    renderAt('/settings/webhooks');
    expect(await screen.findByText(/No endpoint yet/, {}, SLOW)).toBeInTheDocument();
    expect(await screen.findByText(/No dead letters/)).toBeInTheDocument();

    // Nothing is sent while the URL is wrong or no event is chosen.
    fireEvent.change(screen.getByRole('textbox', { name: /Endpoint URL/ }), { target: { value: 'hooks.example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    fireEvent.click(screen.getByRole('button', { name: 'Add endpoint' }));
    expect(await screen.findByText('Enter an http(s):// address.')).toBeInTheDocument();
    expect(screen.getByText('Choose at least one event.')).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    // The events and their help text come from the API's catalogue.
    const completed = await screen.findByRole('checkbox', { name: /sync\.completed/ });
    expect(completed).toHaveAccessibleDescription('A connection’s sync run finished: sync_id, connection_id.');
    expect(screen.getAllByRole('checkbox')).toHaveLength(3);
    expect(screen.queryByText(/brand\.new/)).toBeNull();

    fireEvent.change(screen.getByRole('textbox', { name: /Endpoint URL/ }), { target: { value: 'https://hooks.example.com/brain' } });
    fireEvent.click(completed);
    fireEvent.click(screen.getByRole('checkbox', { name: /webhook\.test/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Add endpoint' }));

    const dialog = await screen.findByRole('dialog', { name: 'Endpoint added: copy its signing secret' });
    expect(within(dialog).getByTestId('webhook-secret')).toHaveTextContent('whsec_c2VjcmV0LXNlY3JldA==');
    expect(within(dialog).getByRole('button', { name: 'Copy' })).toBeInTheDocument();
    expect(await bodyOf(calls, 'POST', '/webhook-endpoints')).toEqual({ url: 'https://hooks.example.com/brain', events: ['sync.completed', 'webhook.test'], description: null });

    // Closing goes to the endpoint; the secret is nowhere to be seen again.
    fireEvent.click(within(dialog).getByRole('button', { name: 'I stored the secret' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/settings/webhooks/ep-1'));
    expect(await screen.findByText(/Nothing delivered yet/)).toBeInTheDocument();
    expect(screen.queryByText('whsec_c2VjcmV0LXNlY3JldA==')).not.toBeInTheDocument();
  });

  it('sends a test event and follows the log until its delivery shows up', async () => {
    let polls = 0;
    const calls = stubApi({
      'GET /api/v1/webhooks/event-types': () => jsonResponse(200, EVENT_TYPES),
      'GET /webhook-endpoints/ep-1': () => jsonResponse(200, endpoint()),
      // The API filters by endpoint: another endpoint's letter only comes without the filter.
      'GET /webhooks/dead-letters': (request) =>
        jsonResponse(200, {
          data: [
            { id: 'dl-1', direction: 'outbound', delivery_id: 'del-0', inbound_event_id: null, event_type: 'sync.completed', attempts: 8, error: 'HTTP 500', created_at: '2026-11-24T10:00:00Z', replayed_at: null },
            ...(new URL(request.url).searchParams.get('endpoint_id') === 'ep-1'
              ? []
              : [{ id: 'dl-2', direction: 'outbound', delivery_id: 'other-endpoint', inbound_event_id: null, event_type: 'sync.failed', attempts: 8, error: 'HTTP 500', created_at: '2026-11-24T10:00:00Z', replayed_at: null }]),
          ],
          has_more: false,
          next_cursor: null,
        }),
      'GET /webhook-endpoints/ep-1/deliveries': () => {
        polls += 1;
        const old = attempt({ id: 'at-0', delivery_id: 'del-0', event_type: 'sync.completed', status_code: 500, succeeded: false, error: 'HTTP 500', requested_at: '2026-11-24T09:00:00Z', attempt_number: 8 });
        return jsonResponse(200, { data: polls >= 3 ? [attempt(), old] : [old], has_more: false, next_cursor: null });
      },
      'POST /webhook-endpoints/ep-1/test': () =>
        jsonResponse(202, { id: 'del-1', endpoint_id: 'ep-1', event_id: 'ev-1', event_type: 'webhook.test', status: 'pending', attempt_count: 0, next_attempt_at: null, last_status_code: null, last_error: null, created_at: '2026-11-25T10:05:00Z', completed_at: null }),
      'POST /webhooks/dead-letters/dl-1/replay': () =>
        jsonResponse(202, { id: 'dl-1', direction: 'outbound', delivery_id: 'del-0', inbound_event_id: null, event_type: 'sync.completed', attempts: 8, error: 'HTTP 500', created_at: '2026-11-24T10:00:00Z', replayed_at: '2026-11-25T10:06:00Z' }),
    });
    renderAt('/settings/webhooks/ep-1');
    expect(await screen.findAllByTestId('delivery-row', {}, SLOW)).toHaveLength(1);
    // Only this endpoint's dead letters are listed here (asked of the API by endpoint).
    const dead = await screen.findByTestId('dead-letters-outbound');
    expect(within(dead).getAllByRole('row')).toHaveLength(2);
    const asked = new URL(calls.find((c) => new URL(c.url).pathname.endsWith('/webhooks/dead-letters'))?.url ?? '').searchParams;
    expect(asked.get('endpoint_id')).toBe('ep-1');
    expect(asked.get('direction')).toBe('outbound');
    fireEvent.click(within(dead).getByRole('button', { name: /^Replay: sync\.completed/ }));
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/dead-letters/dl-1/replay'))).toBe(true));

    fireEvent.click(screen.getByRole('button', { name: 'Send a test event' }));
    await waitFor(() => expect(screen.getAllByTestId('delivery-row')).toHaveLength(2), { timeout: 5000 });
    const newest = screen.getAllByTestId('delivery-row')[0];
    expect(newest).toHaveTextContent('webhook.test');
    expect(newest).toHaveTextContent('200');
    expect(newest).toHaveTextContent('42 ms');
    expect(newest).toHaveTextContent('Delivered');
    expect(screen.getByTestId('delivery-summary')).toHaveTextContent('50% delivered');
    // Found: no more polling.
    const settled = polls;
    await new Promise((r) => setTimeout(r, 1500));
    expect(polls).toBe(settled);
  });

  it('rotates the secret, showing the new one once and until when the old one signs too', async () => {
    const overlapEnd = new Date(Date.now() + 24 * 3_600_000).toISOString();
    stubApi({
      'GET /api/v1/webhooks/event-types': () => jsonResponse(200, EVENT_TYPES),
      'GET /webhook-endpoints/ep-1': () => jsonResponse(200, endpoint()),
      'GET /webhook-endpoints/ep-1/deliveries': () => jsonResponse(200, EMPTY_PAGE),
      'GET /webhooks/dead-letters': () => jsonResponse(200, EMPTY_PAGE),
      'POST /webhook-endpoints/ep-1/rotate-secret': () => jsonResponse(200, { ...endpoint({ previous_secret_expires_at: overlapEnd }), secret: 'whsec_bmV3LXNlY3JldA==' }),
    });
    renderAt('/settings/webhooks/ep-1');
    fireEvent.click(await screen.findByRole('button', { name: 'Rotate the secret' }, SLOW));
    fireEvent.click(within(await screen.findByRole('dialog', { name: 'Rotate the secret' })).getByRole('button', { name: 'Rotate now' }));
    const shown = await screen.findByRole('dialog', { name: 'New signing secret' });
    expect(within(shown).getByTestId('webhook-secret')).toHaveTextContent('whsec_bmV3LXNlY3JldA==');
    expect(shown).toHaveTextContent(/messages carry signatures with both the old and the new secret/);
    fireEvent.click(within(shown).getByRole('button', { name: 'I stored the secret' }));
    expect(await screen.findByText(/The previous secret still signs messages until/)).toBeInTheDocument();
  });

  it('tells the events in Spanish, and keeps the list’s place while it loads', async () => {
    let answer!: () => void;
    const ready = new Promise<void>((r) => {
      answer = r;
    });
    stubApi({
      'GET /api/v1/webhooks/event-types': () => ready.then(() => jsonResponse(200, EVENT_TYPES)),
      'GET /webhook-endpoints': () => jsonResponse(200, EMPTY_PAGE),
      'GET /webhooks/dead-letters': () => jsonResponse(200, EMPTY_PAGE),
    });
    renderWithProviders(
      <WhenLoggedIn>
        <Endpoints />
      </WhenLoggedIn>,
    );
    expect(await screen.findByTestId('event-types-loading', {}, SLOW)).toHaveAttribute('aria-busy', 'true');
    answer();
    expect(await screen.findByRole('checkbox', { name: /sync\.failed/ })).toHaveAccessibleDescription('A connection’s sync run failed.');
    expect(eventHelp('es', 'sync.failed', 'A connection’s sync run failed.')).toBe(EVENT_HELP_ES['sync.failed']);
    expect(eventHelp('es', 'brand.new', 'Not known to this client.')).toBe('Not known to this client.');
  });
});
