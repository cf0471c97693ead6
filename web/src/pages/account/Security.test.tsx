import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import Security from './Security';

type Handler = (request: Request) => Response | Promise<Response>;

function stubApi(routes: Record<string, Handler>): Request[] {
  const calls: Request[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    calls.push(request);
    const path = new URL(request.url, 'http://localhost').pathname;
    const handler = routes[`${request.method} ${path}`];
    return handler ? handler(request) : problem(404, 'not-found', 'Not found', 'No such route.');
  });
  return calls;
}

const MFA_OFF = { totp_enabled: false, totp_confirmed_at: null, setup_pending: false, recovery_codes_remaining: 0 };
const PASSKEY = {
  id: '0190a0b0-0000-7000-8000-000000000001',
  name: 'Work laptop',
  credential_id: 'Y3JlZA',
  transports: ['internal'],
  device_type: 'multi_device',
  backed_up: true,
  created_at: '2026-01-05T09:00:00Z',
  updated_at: '2026-01-05T09:00:00Z',
  last_used_at: null,
};

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
let create: ReturnType<typeof vi.fn>;

beforeEach(() => {
  vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {});
  create = vi.fn(async () => ({
    id: 'Y3JlZA',
    rawId: bytes(99, 114, 101, 100),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    response: { clientDataJSON: bytes(123, 125), attestationObject: bytes(160), getTransports: () => ['internal'] },
  }));
  Object.defineProperty(navigator, 'credentials', { value: { create, get: vi.fn() }, configurable: true });
});
afterEach(() => {
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, 'credentials');
});

describe('Security: passkeys', () => {
  it('says what to do when there is no passkey yet', async () => {
    stubApi({
      'GET /api/v1/auth/mfa': () => jsonResponse(200, MFA_OFF),
      'GET /api/v1/auth/webauthn/credentials': () => jsonResponse(200, { data: [], next_cursor: null, has_more: false }),
    });
    renderWithProviders(<Security />);
    expect(await screen.findByText(/No passkeys yet/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Add a passkey' })).toBeInTheDocument();
  });

  it('adds a passkey with the browser and its name', async () => {
    const calls = stubApi({
      'GET /api/v1/auth/mfa': () => jsonResponse(200, MFA_OFF),
      'GET /api/v1/auth/webauthn/credentials': () => jsonResponse(200, { data: [], next_cursor: null, has_more: false }),
      'POST /api/v1/auth/webauthn/register/options': () =>
        jsonResponse(200, {
          ceremony_id: 'cer-1',
          public_key: { rp: { id: 'localhost', name: 'Brain' }, user: { id: 'AQI', name: 'a@b.co', displayName: 'A' }, challenge: 'AwQ', pubKeyCredParams: [] },
        }),
      'POST /api/v1/auth/webauthn/register/verify': () => jsonResponse(201, PASSKEY),
    });
    renderWithProviders(<Security />);
    fireEvent.change(await screen.findByLabelText(/Name of the new passkey/), { target: { value: 'Work laptop' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add a passkey' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/register/verify'))).toBe(true));
    expect(create).toHaveBeenCalledTimes(1);
    const body = (await calls.find((c) => c.url.endsWith('/register/verify'))?.clone().json()) as Record<string, unknown>;
    expect(body.ceremony_id).toBe('cer-1');
    expect(body.name).toBe('Work laptop');
    expect((body.credential as { response: { transports: string[] } }).response.transports).toEqual(['internal']);
  });

  it('lists, renames and asks for the password before removing', async () => {
    let deletes = 0;
    const calls = stubApi({
      'GET /api/v1/auth/mfa': () => jsonResponse(200, MFA_OFF),
      'GET /api/v1/auth/webauthn/credentials': () => jsonResponse(200, { data: [PASSKEY], next_cursor: null, has_more: false }),
      [`PATCH /api/v1/auth/webauthn/credentials/${PASSKEY.id}`]: () => jsonResponse(200, { ...PASSKEY, name: 'Home laptop' }),
      [`DELETE /api/v1/auth/webauthn/credentials/${PASSKEY.id}`]: () => {
        deletes += 1;
        return deletes === 1
          ? problem(403, 'reauthentication-required', 'Re-authentication required', 'Confirm it is you.', { accepted: ['password'] })
          : new Response(null, { status: 204 });
      },
    });
    renderWithProviders(<Security />);
    const list = await screen.findByRole('list', { name: 'Your passkeys' });
    expect(within(list).getByText('Work laptop')).toBeInTheDocument();
    expect(within(list).getByText('Synced')).toBeInTheDocument();

    fireEvent.click(within(list).getByRole('button', { name: 'New name for Work laptop' }));
    fireEvent.change(screen.getByLabelText('New name for Work laptop'), { target: { value: 'Home laptop' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH')).toBe(true));
    expect(await calls.find((c) => c.method === 'PATCH')?.clone().json()).toEqual({ name: 'Home laptop' });

    fireEvent.click(await screen.findByRole('button', { name: 'Remove Work laptop' }));
    const dialog = await screen.findByRole('dialog', { name: 'Confirm it is you' });
    fireEvent.change(within(dialog).getByLabelText('Password'), { target: { value: 'my-password-123' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    await waitFor(() => expect(deletes).toBe(2));
    const retried = calls.filter((c) => c.method === 'DELETE')[1];
    expect(await retried?.clone().json()).toEqual({ password: 'my-password-123' });
  });
});
