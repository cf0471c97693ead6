import { fireEvent, screen, waitFor } from '@testing-library/react';

import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import Login, { ssoStartUrl } from './Login';

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

afterEach(() => vi.unstubAllGlobals());

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

describe('ssoStartUrl', () => {
  it('builds the SSO start URL with the email hint and the return path', () => {
    expect(ssoStartUrl(' acme ', 'a@acme.com', '/x')).toBe('/api/v1/auth/sso/acme/login?next=%2Fx&email=a%40acme.com');
  });
});
