import { fireEvent, screen, waitFor, within } from '@testing-library/react';

import { useSession } from '../../auth/session';
import { jsonResponse, problem, renderWithProviders } from '../../test/render';
import OrgSettings from './OrgSettings';

/** The page once the session is known, as the app shell renders it. */
function Page() {
  const { me } = useSession();
  return me ? <OrgSettings /> : null;
}

const ORG_ID = '0190a0b0-0000-7000-8000-0000000000aa';
const ORG = {
  id: ORG_ID,
  created_at: '2026-01-05T09:00:00Z',
  updated_at: '2026-01-05T09:00:00Z',
  name: 'Acme',
  slug: 'acme',
  data_retention_days: 730,
  demo_vertical: null,
  mfa_required: false,
  session_idle_minutes: 30,
  session_absolute_hours: 12,
};
const ME = {
  user: { id: 'u1', email: 'ada@acme.com', name: 'Ada', email_verified: true, locale: 'en', mfa_enabled: true, created_at: '2026-01-05T09:00:00Z' },
  memberships: [{ organization_id: ORG_ID, organization_name: 'Acme', role: 'admin' }],
  current_organization_id: ORG_ID,
};

function stubApi(patch: (body: unknown) => Response): Request[] {
  const calls: Request[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    calls.push(request);
    const path = new URL(request.url, 'http://localhost').pathname;
    if (path === '/api/v1/auth/me') return jsonResponse(200, ME);
    if (path === `/api/v1/organizations/${ORG_ID}` && request.method === 'GET') return jsonResponse(200, ORG);
    if (path === `/api/v1/organizations/${ORG_ID}` && request.method === 'PATCH') return patch(await request.clone().json());
    return problem(404, 'not-found', 'Not found', 'No such route.');
  });
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

describe('OrgSettings: security policy', () => {
  it('shows the current policy and saves the MFA switch and timeouts', async () => {
    const bodies: unknown[] = [];
    stubApi((body) => {
      bodies.push(body);
      return jsonResponse(200, { ...ORG, ...(body as object) });
    });
    renderWithProviders(<Page />);
    const policy = await screen.findByRole('region', { name: 'Security policy' });
    expect(within(policy).getByTestId('policy-current')).toHaveTextContent('30 minutes of inactivity, 12 hours at most; two-step verification optional');
    const save = within(policy).getByRole('button', { name: 'Save policy' });
    expect(save).toBeDisabled();
    fireEvent.click(within(policy).getByRole('switch', { name: /Require two-step verification/ }));
    fireEvent.change(within(policy).getByLabelText(/Sign out after inactivity/), { target: { value: '15' } });
    fireEvent.click(save);
    await waitFor(() => expect(bodies).toHaveLength(1));
    expect(bodies[0]).toEqual({ mfa_required: true, session_idle_minutes: 15, session_absolute_hours: 12 });
  });

  it('refuses an inactivity timeout longer than the absolute one before asking the API', async () => {
    const calls = stubApi(() => jsonResponse(200, ORG));
    renderWithProviders(<Page />);
    const policy = await screen.findByRole('region', { name: 'Security policy' });
    fireEvent.change(within(policy).getByLabelText(/Sign out after inactivity/), { target: { value: '800' } });
    expect(await within(policy).findByText('The inactivity timeout cannot be longer than the absolute timeout.')).toBeInTheDocument();
    expect(within(policy).getByRole('button', { name: 'Save policy' })).toBeDisabled();
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false);
  });

  it('shows the API problem when it refuses', async () => {
    stubApi(() => problem(409, 'conflict', 'Conflict', 'Set up two-factor authentication for yourself first.'));
    renderWithProviders(<Page />);
    const policy = await screen.findByRole('region', { name: 'Security policy' });
    fireEvent.click(within(policy).getByRole('switch', { name: /Require two-step verification/ }));
    fireEvent.click(within(policy).getByRole('button', { name: 'Save policy' }));
    expect(await within(policy).findByRole('alert')).toHaveTextContent('Set up two-factor authentication for yourself first.');
  });
});
