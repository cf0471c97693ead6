import { fireEvent, screen, waitFor } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import Login, { emailDomain, parseMethods, ssoStartUrl } from './Login';

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

function fillAndSubmit(email: string, password: string) {
  fireEvent.change(screen.getByLabelText(/Email/), { target: { value: email } });
  fireEvent.change(document.querySelector('input[type=password]') as HTMLInputElement, { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

afterEach(() => {
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, 'credentials');
});

const bytes = (...values: number[]) => new Uint8Array(values).buffer;

/** A browser with passkeys whose authenticator answers `get()` with a fixed assertion. */
function stubPasskeys(get: () => Promise<unknown>): { get: ReturnType<typeof vi.fn> } {
  vi.stubGlobal('PublicKeyCredential', function PublicKeyCredential() {});
  const credentials = { get: vi.fn(get), create: vi.fn() };
  Object.defineProperty(navigator, 'credentials', { value: credentials, configurable: true });
  return credentials;
}

function assertion() {
  return Promise.resolve({
    id: 'Y3JlZA',
    rawId: bytes(99, 114, 101, 100),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    response: {
      clientDataJSON: bytes(123, 125),
      authenticatorData: bytes(1, 2, 3),
      signature: bytes(4, 5),
      userHandle: bytes(6),
    },
  });
}

describe('Login', () => {
  it('asks for the second factor when the API answers mfa_required, then sends the code', async () => {
    const calls = stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/login': () => jsonResponse(200, { mfa_required: true, challenge_id: 'ch-1' }),
      'POST /api/v1/auth/mfa/challenge': () => jsonResponse(200, { user: {} }),
      'GET /api/v1/auth/me': () => problem(401, 'unauthorized', 'Unauthorized', 'Log in.'),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fillAndSubmit('ada@example.com', 'a-long-password');
    expect(await screen.findByRole('heading', { name: 'Two-step verification' })).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText(/Code/), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/api/v1/auth/mfa/challenge'))).toBe(true));
    const challenge = calls.find((c) => c.url.endsWith('/api/v1/auth/mfa/challenge'));
    expect(await challenge?.clone().json()).toEqual({ challenge_id: 'ch-1', code: '123456' });
  });

  it('shows the problem title and detail for a wrong password, not JSON', async () => {
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/login': () => problem(401, 'unauthorized', 'Unauthorized', 'Wrong email or password.'),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fillAndSubmit('ada@example.com', 'wrong-password');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Unauthorized');
    expect(alert).toHaveTextContent('Wrong email or password.');
    expect(alert.textContent).not.toContain('{');
  });

  it('offers the SSO provider when the organization enforces SSO', async () => {
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/login': () =>
        problem(403, 'sso-required', 'SSO required', 'Log in through SSO.', { sso_login_url: '/api/v1/auth/sso/acme/login' }),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fillAndSubmit('ada@acme.com', 'a-long-password');
    const link = await screen.findByRole('link', { name: 'Continue with SSO' });
    expect(link).toHaveAttribute('href', '/api/v1/auth/sso/acme/login');
  });

  it('lists the social providers the platform offers', async () => {
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [{ name: 'google', login_url: '/api/v1/auth/social/google/login' }] }),
    });
    renderWithProviders(<Login />, { route: '/login?next=%2Fsettings' });
    const link = await screen.findByRole('link', { name: 'Continue with Google' });
    expect(link).toHaveAttribute('href', '/api/v1/auth/social/google/login?next=%2Fsettings');
  });
});

describe('Login with passkeys', () => {
  it('offers a passkey for the second step and sends its answer', async () => {
    const credentials = stubPasskeys(assertion);
    const calls = stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/login': () => jsonResponse(200, { mfa_required: true, challenge_id: 'ch-1', methods: ['totp', 'webauthn'] }),
      'POST /api/v1/auth/webauthn/mfa/options': () =>
        jsonResponse(200, { ceremony_id: 'cer-1', public_key: { challenge: 'AQID', rpId: 'localhost', allowCredentials: [{ id: 'Y3JlZA', type: 'public-key' }] } }),
      'POST /api/v1/auth/webauthn/mfa/verify': () => jsonResponse(200, { user: {}, mfa_required: false }),
      'GET /api/v1/auth/me': () => problem(401, 'unauthorized', 'Unauthorized', 'Log in.'),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fillAndSubmit('ada@example.com', 'a-long-password');
    fireEvent.click(await screen.findByRole('button', { name: 'Use a passkey' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/api/v1/auth/webauthn/mfa/verify'))).toBe(true));
    const options = credentials.get.mock.calls[0]?.[0] as { publicKey: PublicKeyCredentialRequestOptions };
    expect(new Uint8Array(options.publicKey.challenge as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    const verify = calls.find((c) => c.url.endsWith('/api/v1/auth/webauthn/mfa/verify'));
    expect(await verify?.clone().json()).toEqual({
      challenge_id: 'ch-1',
      ceremony_id: 'cer-1',
      credential: {
        id: 'Y3JlZA',
        rawId: 'Y3JlZA',
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: { clientDataJSON: 'e30', authenticatorData: 'AQID', signature: 'BAU', userHandle: 'Bg' },
      },
    });
    // The code stays available.
    expect(screen.getByRole('button', { name: 'Use a code instead' })).toBeInTheDocument();
  });

  it('says so when the passkey dialog is cancelled', async () => {
    stubPasskeys(() => Promise.reject(new DOMException('cancelled', 'NotAllowedError')));
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/webauthn/login/options': () => jsonResponse(200, { ceremony_id: 'cer-2', public_key: { challenge: 'AQID' } }),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with a passkey' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('cancelled or timed out');
  });

  it('signs in with a passkey alone', async () => {
    stubPasskeys(assertion);
    const calls = stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/webauthn/login/options': () =>
        jsonResponse(200, { ceremony_id: 'cer-3', public_key: { challenge: 'AQID', allowCredentials: [], userVerification: 'required' } }),
      'POST /api/v1/auth/webauthn/login/verify': () => jsonResponse(200, { user: {}, mfa_required: false }),
      'GET /api/v1/auth/me': () => problem(401, 'unauthorized', 'Unauthorized', 'Log in.'),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in with a passkey' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/api/v1/auth/webauthn/login/verify'))).toBe(true));
    const verify = calls.find((c) => c.url.endsWith('/api/v1/auth/webauthn/login/verify'));
    const body = (await verify?.clone().json()) as { ceremony_id: string; credential: { id: string } };
    expect(body.ceremony_id).toBe('cer-3');
    expect(body.credential.id).toBe('Y3JlZA');
  });

  it('shows only the code form when the account has no passkey, or the browser none', async () => {
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/login': () => jsonResponse(200, { mfa_required: true, challenge_id: 'ch-1', methods: ['webauthn', 'totp'] }),
    });
    renderWithProviders(<Login />, { route: '/login' });
    expect(screen.queryByRole('button', { name: 'Sign in with a passkey' })).not.toBeInTheDocument();
    fillAndSubmit('ada@example.com', 'a-long-password');
    expect(await screen.findByLabelText(/Code/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Use a passkey' })).not.toBeInTheDocument();
  });

  it('reads the factors of a social login redirect', async () => {
    stubPasskeys(assertion);
    stubApi({ 'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }) });
    renderWithProviders(<Login />, { route: '/login?mfa_challenge=ch-9&mfa_methods=webauthn' });
    expect(await screen.findByRole('button', { name: 'Use a passkey' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Use a code instead' })).not.toBeInTheDocument();
  });
});

describe('Login with SSO by email domain', () => {
  it('offers SSO when the domain has it and keeps the password', async () => {
    const calls = stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/sso/discover': () =>
        jsonResponse(200, { sso: true, enforced: false, login_url: '/api/v1/auth/sso/acme/login', organization_name: 'Acme' }),
    });
    renderWithProviders(<Login />, { route: '/login?next=%2Freports' });
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'ada@acme.com' } });
    const link = await screen.findByRole('link', { name: 'Continue with SSO' });
    expect(link).toHaveAttribute('href', '/api/v1/auth/sso/acme/login?next=%2Freports&email=ada%40acme.com');
    expect(screen.getByText('Acme signs in with single sign-on.')).toBeInTheDocument();
    expect(document.querySelector('input[type=password]')).not.toBeNull();
    const discover = calls.find((c) => c.url.endsWith('/api/v1/auth/sso/discover'));
    expect(await discover?.clone().json()).toEqual({ email: 'ada@acme.com' });
  });

  it('hides the password when the organization enforces SSO', async () => {
    stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/sso/discover': () =>
        jsonResponse(200, { sso: true, enforced: true, login_url: '/api/v1/auth/sso/acme/login', organization_name: 'Acme' }),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'ada@acme.com' } });
    expect(await screen.findByRole('link', { name: 'Continue with SSO' })).toBeInTheDocument();
    expect(document.querySelector('input[type=password]')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Log in' })).not.toBeInTheDocument();
    expect(screen.getByText(/requires single sign-on/)).toBeInTheDocument();
  });

  it('asks nothing until the address is complete, and shows nothing for other domains', async () => {
    const calls = stubApi({
      'GET /api/v1/auth/social': () => jsonResponse(200, { providers: [] }),
      'POST /api/v1/auth/sso/discover': () => jsonResponse(200, { sso: false, enforced: false, login_url: null, organization_name: null }),
    });
    renderWithProviders(<Login />, { route: '/login' });
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'ada@exa' } });
    fireEvent.change(screen.getByLabelText(/Email/), { target: { value: 'ada@example.com' } });
    await waitFor(() => expect(calls.filter((c) => c.url.endsWith('/api/v1/auth/sso/discover'))).toHaveLength(1));
    expect(screen.queryByTestId('domain-sso')).not.toBeInTheDocument();
    expect(document.querySelector('input[type=password]')).not.toBeNull();
  });
});

describe('helpers', () => {
  it('parses the factors of a challenge', () => {
    expect(parseMethods('totp,webauthn')).toEqual(['totp', 'webauthn']);
    expect(parseMethods('webauthn,bogus')).toEqual(['webauthn']);
    expect(parseMethods(null)).toEqual(['totp']);
  });

  it('finds the domain of a complete address only', () => {
    expect(emailDomain(' Ada@Acme.COM ')).toBe('acme.com');
    expect(emailDomain('ada@acme')).toBeNull();
    expect(emailDomain('ada')).toBeNull();
  });
});

describe('ssoStartUrl', () => {
  it('builds the SSO start URL with the email hint and the return path', () => {
    expect(ssoStartUrl(' acme ', 'a@acme.com', '/x')).toBe('/api/v1/auth/sso/acme/login?next=%2Fx&email=a%40acme.com');
  });
});
