import { api, csrfToken, unwrap } from './client';
import { ApiError } from './problem';

afterEach(() => {
  vi.unstubAllGlobals();
  document.cookie = 'brain_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
});

describe('csrfToken', () => {
  it('reads the brain_csrf cookie among others', () => {
    expect(csrfToken('a=1; brain_csrf=abc%3D%3D; b=2')).toBe('abc==');
    expect(csrfToken('a=1')).toBeUndefined();
  });
});

describe('api client', () => {
  it('sends X-CSRF-Token on unsafe requests only', async () => {
    document.cookie = 'brain_csrf=token-123';
    const seen: Request[] = [];
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push(request);
      return new Response(null, { status: 204 });
    });
    await unwrap(api.POST('/api/v1/auth/logout'));
    await unwrap(api.GET('/api/v1/auth/mfa')).catch(() => undefined);
    expect(seen[0]?.headers.get('X-CSRF-Token')).toBe('token-123');
    expect(seen[1]?.headers.get('X-CSRF-Token')).toBeNull();
  });

  it('throws an ApiError carrying the problem', async () => {
    vi.stubGlobal('fetch', async () =>
      new Response(JSON.stringify({ type: '/api/v1/problems/unauthorized', title: 'Unauthorized', status: 401, detail: 'Log in.' }), {
        status: 401,
        headers: { 'Content-Type': 'application/problem+json' },
      }),
    );
    const error = await unwrap(api.GET('/api/v1/auth/me')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(401);
    expect((error as ApiError).problem.detail).toBe('Log in.');
  });

  it('reports a network failure as status 0', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    const error = await unwrap(api.GET('/api/v1/auth/me')).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(0);
  });
});
