import { ApiError } from './api/problem';
import { makeQueryClient } from './App';
import { ME_KEY } from './auth/session';

describe('query client', () => {
  it('forgets the user when any request answers 401 (session ended elsewhere)', async () => {
    const client = makeQueryClient();
    client.setQueryData(ME_KEY, { user: { id: 'u' }, memberships: [], current_organization_id: null });
    const unauthorized = new ApiError({ type: '/api/v1/problems/unauthorized', title: 'Unauthorized', status: 401, detail: '' });
    await client
      .fetchQuery({
        queryKey: ['members'],
        queryFn: () => {
          throw unauthorized;
        },
        retry: false,
      })
      .catch(() => undefined);
    expect(client.getQueryData(ME_KEY)).toBeNull();
  });

  it('does not retry client errors', async () => {
    const client = makeQueryClient();
    let calls = 0;
    await client
      .fetchQuery({
        queryKey: ['forbidden'],
        queryFn: () => {
          calls += 1;
          throw new ApiError({ type: 'x', title: 'Forbidden', status: 403, detail: '' });
        },
      })
      .catch(() => undefined);
    expect(calls).toBe(1);
  });
});
