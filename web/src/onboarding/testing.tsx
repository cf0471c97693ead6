/**
 * Test helpers of the onboarding components: a stubbed API (method + path → handler, every
 * request recorded), a member of one organization with a role, and checklist answers.
 */
import type { ReactNode } from 'react';
import { useLocation } from 'react-router-dom';

import type { Schemas } from '../api/client';
import { useSession } from '../auth/session';
import { jsonResponse, problem } from '../test/render';
import type { Onboarding, StepId } from './logic';

export const ORG = '01900000-0000-7000-8000-0000000000aa';
type Handler = (request: Request) => Response | Promise<Response>;

export function stubApi(routes: Record<string, Handler>, role = 'admin'): Request[] {
  const calls: Request[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    calls.push(request.clone());
    const path = new URL(request.url, 'http://localhost').pathname;
    if (request.method === 'GET' && path === '/api/v1/auth/me') {
      return jsonResponse(200, {
        user: { id: 'u1', email: 'ada@example.com', name: 'Ada Admin', email_verified: true } as Schemas['UserRead'],
        memberships: [{ organization_id: ORG, organization_name: 'Acme', role } as Schemas['MembershipSummary']],
        current_organization_id: ORG,
      });
    }
    const handler = routes[`${request.method} ${path.replace(`/api/v1/organizations/${ORG}`, '')}`];
    return handler ? handler(request) : problem(404, 'not-found', 'Not found', `No stub for ${request.method} ${path}`);
  });
  return calls;
}

export const HREFS: Record<StepId, string> = {
  verify_email: '/verify',
  connect_data: '/connections/new',
  first_sync: '/connections',
  first_brain_run: '/',
  invite_teammate: '/settings/members',
};
const ORDER: StepId[] = ['verify_email', 'connect_data', 'first_sync', 'first_brain_run', 'invite_teammate'];

/** A checklist answer with `done` steps done (on 2026-11-20) and the others open. */
export function onboarding(done: StepId[], overrides: Partial<Onboarding> = {}): Onboarding {
  const steps = ORDER.map((id) => ({
    id,
    done: done.includes(id),
    done_at: done.includes(id) ? '2026-11-20T10:00:00Z' : null,
    href: HREFS[id],
  }));
  const pending = steps.filter((s) => !s.done);
  return { steps, completed: pending.length === 0, dismissed: false, next_step: pending[0]?.id ?? null, ...overrides };
}

export function WhenLoggedIn({ children }: { children: ReactNode }) {
  const { me } = useSession();
  return me ? <>{children}</> : null;
}

export function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
}
