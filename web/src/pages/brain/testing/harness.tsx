/**
 * Test helpers for the brain pages: a stubbed API (method + path → handler, every request
 * recorded), a logged-in member, sample API objects, and a wrapper that renders the page
 * once the session is known (pages read the organization from it).
 */
import type { ReactNode } from 'react';
import { useLocation } from 'react-router-dom';

import type { Schemas } from '../../../api/client';
import { useSession } from '../../../auth/session';
import { jsonResponse, problem } from '../../../test/render';

export const ORG = '01900000-0000-7000-8000-000000000001';
export type Handler = (request: Request) => Response | Promise<Response>;

export function stubApi(routes: Record<string, Handler>, role = 'admin'): Request[] {
  const calls: Request[] = [];
  vi.stubGlobal('fetch', async (request: Request) => {
    calls.push(request.clone());
    const path = new URL(request.url, 'http://localhost').pathname;
    if (request.method === 'GET' && path === '/api/v1/auth/me') return jsonResponse(200, me(role));
    const handler = routes[`${request.method} ${path.replace(`/api/v1/organizations/${ORG}`, '')}`];
    return handler ? handler(request) : problem(404, 'not-found', 'Not found', `No stub for ${request.method} ${path}`);
  });
  return calls;
}

export function me(role: string): Schemas['Me'] {
  return {
    user: { id: 'u1', email: 'ada@example.com', name: 'Ada Admin', email_verified: true } as Schemas['UserRead'],
    memberships: [{ organization_id: ORG, organization_name: 'Acme', role } as Schemas['MembershipSummary']],
    current_organization_id: ORG,
  };
}

export function WhenLoggedIn({ children }: { children: ReactNode }) {
  const { me: current } = useSession();
  return current ? <>{children}</> : null;
}

export function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

export function action(overrides: Partial<Schemas['ActionRead']> = {}): Schemas['ActionRead'] {
  return {
    id: 'a1',
    run_id: 'r1',
    type: 'shift_budget',
    target: { kind: 'channel', id: 'c1', name: 'Meta' },
    amount: { current: 1000, recommended: 1300 },
    estimated_impact_usd: 4200,
    estimated_impact_interval: { estimate: 4200, ci_low: 3000, ci_high: 5400 },
    estimated_impact_7d_usd: 1050,
    rationale: 'Meta returns more per extra dollar than TikTok.',
    urgency: 'high',
    confidence: 0.8,
    needs_human: false,
    needs_human_reason: null,
    rank: 1,
    status: 'proposed',
    details: {},
    created_at: '2026-11-20T10:00:00Z',
    decided_at: null,
    ...overrides,
  };
}

export function faceSummary(overrides: Partial<Schemas['FaceSummary']> = {}): Schemas['FaceSummary'] {
  return {
    state: 'ready',
    explanation: null,
    persona: 'cmo',
    period: '7d',
    run_id: 'r1',
    kpis: [
      { key: 'mer', label: 'MER', value: 3.1, previous: 2.9, change: 0.069, unit: 'ratio' },
      { key: 'blended_roas', label: 'Blended ROAS', value: 2.4, previous: 2.6, change: -0.077, unit: 'ratio' },
      { key: 'ltv_roas', label: 'LTV-ROAS', value: 3.5, previous: null, change: null, unit: 'ratio' },
      { key: 'risk', label: 'Global risk', value: 'red', previous: 'yellow', change: 'worse', unit: 'level' },
    ],
    risk_level: 'red',
    risk_reasons: ['TikTok is decaying.'],
    narrative: 'TikTok is decaying. C12 is fatiguing. Move budget to Meta.',
    narrative_sentences: ['TikTok is decaying.', 'C12 is fatiguing.', 'Move budget to Meta.'],
    cards: {},
    actions: [
      action(),
      action({ id: 'a2', type: 'refresh_creative', target: { kind: 'creative', id: 'cr12', name: 'C12' }, rank: 2 }),
      action({ id: 'a3', type: 'focus_retention', target: { kind: 'portfolio', id: 'p', name: 'Portfolio' }, rank: 3 }),
    ],
    leaderboard: { winners: [], losers: [], top_creatives: [], bottom_creatives: [] },
    alerts: [],
    data_as_of: '2026-11-24',
    notes: [],
    ...overrides,
  };
}

export function run(status: Schemas['BrainRunRead']['status'], modules: Schemas['BrainRunRead']['modules'] = {}): Schemas['BrainRunRead'] {
  return {
    id: 'run-1',
    status,
    trigger: 'manual',
    modules,
    started_at: '2026-11-25T10:00:00Z',
    finished_at: status === 'succeeded' || status === 'failed' ? '2026-11-25T10:00:30Z' : null,
    error: null,
    data_as_of: '2026-11-24',
    created_at: '2026-11-25T10:00:00Z',
  };
}

export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
