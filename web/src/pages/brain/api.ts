/**
 * The brain API as TanStack Query hooks: FACE, runs (with polling), MEMORY, ORACLE, actions
 * (with optimistic decisions) and the budget what-if. Every key starts with
 * `['brain', orgId]`, so finishing a run or deciding an action refreshes all brain answers
 * of the organization at once.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type FetchQueryOptions, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

import { api, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { useOrgId } from '../../auth/session';
import { loadSeries } from '../data/metrics';

export type FaceSummary = Schemas['FaceSummary'];
export type Action = Schemas['ActionRead'];
export type BrainRun = Schemas['BrainRunRead'];
export type Persona = FaceSummary['persona'];
export type Period = FaceSummary['period'];
export type Decision = 'accept' | 'reject';
export type ActionStatus = Action['status'];

export const PERSONAS: Persona[] = ['cmo', 'vp_growth', 'director'];
export const PERIODS: Period[] = ['7d', '28d', '90d'];
export const PERIOD_DAYS: Record<Period, number> = { '7d': 7, '28d': 28, '90d': 90 };
/** The pipeline's order; modules the API reports beyond these follow in its order. */
export const MODULE_ORDER = ['features', 'memory', 'oracle', 'curiosity', 'face'];
export const RUN_POLL_MS = 1000;

export const brainKey = (orgId: string): QueryKey => ['brain', orgId];
const faceKey = (orgId: string): QueryKey => ['brain', orgId, 'face'];

const path = (orgId: string) => ({ org_id: orgId });

/** A 409 from ORACLE/CURIOSITY/optimize: no run has succeeded yet (not an error to show). */
export function needsRun(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409;
}

/**
 * FACE is served with `max-age` + `stale-while-revalidate`, which makes a reload instant; but
 * a refetch after a run or a decision must not get the browser's cached copy, so once the
 * query has data every later fetch revalidates with the server.
 */
export function faceQuery(client: QueryClient, orgId: string, persona: Persona, period: Period) {
  const queryKey = [...faceKey(orgId), persona, period];
  return {
    queryKey,
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/face', {
          params: { path: path(orgId), query: { persona, period } },
          cache: client.getQueryData(queryKey) === undefined ? 'default' : 'no-cache',
        }),
      ),
    staleTime: 30_000,
  } satisfies FetchQueryOptions<FaceSummary>;
}

export function useFace(persona: Persona, period: Period) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useQuery(faceQuery(client, orgId, persona, period));
}

// --------------------------------------------------------------------------- runs

export function runFinished(run: Pick<BrainRun, 'status'> | undefined): boolean {
  return run?.status === 'succeeded' || run?.status === 'failed';
}

/** The modules of a run in pipeline order. */
export function orderedModules(run: BrainRun): [string, BrainRun['modules'][string]][] {
  const rank = (name: string) => {
    const index = MODULE_ORDER.indexOf(name);
    return index < 0 ? MODULE_ORDER.length : index;
  };
  return Object.entries(run.modules).sort(([a], [b]) => rank(a) - rank(b));
}

export function useRun(runId: string | null) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'run', runId],
    queryFn: () =>
      unwrap(api.GET('/api/v1/organizations/{org_id}/brain/runs/{run_id}', { params: { path: { org_id: orgId, run_id: runId ?? '' } } })),
    enabled: runId !== null,
    // Poll until the run is over; a finished run never changes again.
    refetchInterval: (query) => (runFinished(query.state.data) ? false : RUN_POLL_MS),
    staleTime: (query) => (runFinished(query.state.data) ? Infinity : 0),
  });
}

/** The newest run (to pick up one already in progress when the page opens). */
export function useLatestRun(enabled = true) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'runs', 'latest'],
    queryFn: async () => {
      const page = await unwrap(api.GET('/api/v1/organizations/{org_id}/brain/runs', { params: { path: path(orgId), query: { limit: 1 } } }));
      return page.data[0] ?? null;
    },
    enabled,
  });
}

export function useRunHistory() {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: ['brain', orgId, 'runs', 'history'],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/organizations/{org_id}/brain/runs', { params: { path: path(orgId), query: { limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

/** The id of the run already queued/running when a start collides with it (409 `run_id`). */
export function collidingRunId(error: unknown): string | null {
  if (error instanceof ApiError && error.status === 409 && typeof error.problem.run_id === 'string') return error.problem.run_id;
  return null;
}

export function useStartRun() {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/brain/runs', { params: { path: path(orgId) } })),
  });
}

/**
 * Follows a run to its end: when the followed run finishes, every brain answer of the
 * organization is refetched (FACE, MEMORY, ORACLE, actions, the runs list).
 */
export function useFollowRun(runId: string | null, onFinished: (run: BrainRun) => void) {
  const orgId = useOrgId();
  const client = useQueryClient();
  const run = useRun(runId);
  const reported = useRef<string | null>(null);
  const data = run.data;
  useEffect(() => {
    if (!data || !runFinished(data) || reported.current === data.id) return;
    reported.current = data.id;
    void client.invalidateQueries({ queryKey: brainKey(orgId), predicate: (query) => query.queryKey[2] !== 'run' });
    onFinished(data);
  }, [data, client, orgId, onFinished]);
  return run;
}

// --------------------------------------------------------------------------- actions

type FaceSnapshot = [QueryKey, FaceSummary | undefined][];
type ListSnapshot = [QueryKey, unknown][];

interface DecideVars {
  action: Action;
  decision: Decision;
  reason?: string;
}

/** Every cached copy of the action (FACE per persona/period, action lists) marked decided. */
function markDecided(client: QueryClient, orgId: string, id: string, status: ActionStatus): { face: FaceSnapshot; lists: ListSnapshot } {
  const face = client.getQueriesData<FaceSummary>({ queryKey: faceKey(orgId) });
  const lists = client.getQueriesData<unknown>({ queryKey: ['brain', orgId, 'actions'] });
  client.setQueriesData<FaceSummary>({ queryKey: faceKey(orgId) }, (old) =>
    old ? { ...old, actions: old.actions.map((a) => (a.id === id ? { ...a, status } : a)) } : old,
  );
  client.setQueriesData<{ pages: { data: Action[] }[]; pageParams: unknown[] }>({ queryKey: ['brain', orgId, 'actions'] }, (old) =>
    old
      ? { ...old, pages: old.pages.map((page) => ({ ...page, data: page.data.map((a) => (a.id === id ? { ...a, status } : a)) })) }
      : old,
  );
  return { face, lists };
}

/**
 * Accept or reject with an optimistic update: the action shows as decided at once; on an
 * error every cached copy is restored and `onError` tells the user; after either, the
 * answers are refetched (FACE then shows the next open action in the top 3).
 */
export function useDecideAction(callbacks: { onSuccess?: (action: Action, vars: DecideVars) => void; onError?: (error: unknown, vars: DecideVars) => void } = {}) {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ action, decision, reason }: DecideVars) => {
      const params = { path: { org_id: orgId, action_id: action.id } };
      const body = reason ? { reason } : undefined;
      return unwrap(
        decision === 'accept'
          ? api.POST('/api/v1/organizations/{org_id}/actions/{action_id}/accept', { params, body })
          : api.POST('/api/v1/organizations/{org_id}/actions/{action_id}/reject', { params, body }),
      );
    },
    onMutate: async ({ action, decision }) => {
      await client.cancelQueries({ queryKey: faceKey(orgId) });
      await client.cancelQueries({ queryKey: ['brain', orgId, 'actions'] });
      return markDecided(client, orgId, action.id, decision === 'accept' ? 'accepted' : 'rejected');
    },
    onError: (error, vars, snapshot) => {
      for (const [key, value] of snapshot?.face ?? []) client.setQueryData(key, value);
      for (const [key, value] of snapshot?.lists ?? []) client.setQueryData(key, value);
      callbacks.onError?.(error, vars);
    },
    onSuccess: (action, vars) => callbacks.onSuccess?.(action, vars),
    onSettled: () => client.invalidateQueries({ queryKey: brainKey(orgId), predicate: (query) => query.queryKey[2] !== 'run' }),
  });
}

export function useActions(status: ActionStatus) {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: ['brain', orgId, 'actions', status],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET('/api/v1/organizations/{org_id}/actions', { params: { path: path(orgId), query: { status, limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
  });
}

// --------------------------------------------------------------------------- MEMORY / ORACLE

export function useMemoryChannels(range: { from?: string; to?: string }) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'memory', 'channels', range.from ?? null, range.to ?? null],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/memory/channels', {
          params: { path: path(orgId), query: { date_from: range.from || undefined, date_to: range.to || undefined } },
        }),
      ),
    staleTime: 60_000,
  });
}

export function useMemoryCohorts() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'memory', 'cohorts'],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/memory/cohorts', { params: { path: path(orgId) } })),
    staleTime: 60_000,
  });
}

export function useOracleCreatives(limit = 200) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'oracle', 'creatives', limit],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/oracle/creatives', { params: { path: path(orgId), query: { limit } } })),
    staleTime: 60_000,
    retry: (count, error) => !needsRun(error) && count < 2,
  });
}

export function useOracleChannels() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'oracle', 'channels'],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/oracle/channels', { params: { path: path(orgId) } })),
    staleTime: 60_000,
    retry: (count, error) => !needsRun(error) && count < 2,
  });
}

export function useLtvDrift() {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'oracle', 'ltv-drift'],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/oracle/ltv-drift', { params: { path: path(orgId) } })),
    staleTime: 60_000,
    retry: (count, error) => !needsRun(error) && count < 2,
  });
}

export function useOptimize() {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: (body: Schemas['OptimizeRequest']) =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/curiosity/optimize', { params: { path: path(orgId) }, body })),
  });
}

// --------------------------------------------------------------------------- daily series

/**
 * Spend and revenue per day per channel over the period ending on the data's last day
 * (the warehouse's daily series: each channel summed at one level), and the daily ROAS.
 */
export async function loadDailySeries(orgId: string, days: number) {
  const loaded = await loadSeries(orgId, days);
  if (!loaded) return null;
  const { overview } = loaded;
  return { ...overview, roas: roasSeries(overview.spend, overview.revenue, overview.channels) };
}

/** Blended ROAS per day (revenue / spend over every channel; null on a day without spend). */
export function roasSeries(
  spend: { date: string; [k: string]: number | string }[],
  revenue: { date: string; [k: string]: number | string }[],
  channels: string[],
): { date: string; roas: number | null }[] {
  return spend.map((day, index) => {
    const s = channels.reduce((sum, c) => sum + Number(day[c] ?? 0), 0);
    const rDay = revenue[index];
    const r = channels.reduce((sum, c) => sum + Number(rDay?.[c] ?? 0), 0);
    return { date: day.date, roas: s > 0 ? Math.round((r / s) * 100) / 100 : null };
  });
}

export function useDailySeries(period: Period) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['brain', orgId, 'daily', period],
    queryFn: () => loadDailySeries(orgId, PERIOD_DAYS[period]),
    staleTime: 60_000,
  });
}
