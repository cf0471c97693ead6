/**
 * The typed API client: `openapi-fetch` over the types generated from the backend's OpenAPI
 * document (`npm run api`). Requests are same-origin with the session cookie; unsafe ones
 * echo the `brain_csrf` cookie in `X-CSRF-Token` (the API's double-submit check).
 */
import createClient, { type Middleware } from 'openapi-fetch';

import { networkError, toApiError } from './problem';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'brain_csrf') return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set('X-CSRF-Token', token);
    }
    return request;
  },
};

// `fetch` is looked up per call (not captured once), so tests can stub it.
export const api = createClient<paths>({
  // Absolute (same origin), so the Request constructor accepts it outside browsers too.
  baseUrl: window.location.origin,
  credentials: 'same-origin',
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(csrf);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call; throws an ApiError built from the problem otherwise. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch {
    throw networkError();
  }
  if (!result.response.ok) throw toApiError(result.error, result.response);
  return result.data as T;
}

/** The organization-scoped path parameters, for brevity at call sites. */
export function orgPath(orgId: string): { params: { path: { org_id: string } } } {
  return { params: { path: { org_id: orgId } } };
}
