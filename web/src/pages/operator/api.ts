/**
 * The operators' API (`/api/v1/admin/*`) as TanStack Query hooks: tenants, costs (the whole
 * period and week by week), plan overrides and dead letters. A 403 `operator-required`
 * means the user is not a platform operator (the pages show the no-permission state).
 */
import { useInfiniteQuery, useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';

import { api, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { planSpec } from '../billing/catalog';

export type Tenant = Schemas['AdminOrganizationRead'];
export type CostsReport = Schemas['CostsReport'];
export type TenantCost = Schemas['TenantCost'];
export type Override = Schemas['OverrideRead'];
export type OverrideBody = Schemas['OverrideCreate'];
export type OverrideKind = OverrideBody['kind'];
export type DeadLetter = Schemas['AdminDeadLetterRead'];

const ADMIN = ['admin'] as const;

/** The API said the user is not a platform operator. */
export function notOperator(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

export type TenantPlan = 'trial' | 'starter' | 'growth' | 'scale' | 'enterprise';
export const TENANT_PLANS: TenantPlan[] = ['trial', 'starter', 'growth', 'scale', 'enterprise'];

export function useTenants(filters: { q?: string; plan?: TenantPlan }) {
  return useInfiniteQuery({
    queryKey: [...ADMIN, 'tenants', filters.q ?? '', filters.plan ?? ''],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/admin/organizations', {
          params: {
            query: {
              limit: 200,
              cursor: pageParam,
              q: filters.q || undefined,
              plan: filters.plan,
            },
          },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    retry: (count, error) => !notOperator(error) && count < 2,
  });
}

/** A UTC day `days` before `iso` (YYYY-MM-DD). */
export function shiftDay(iso: string, days: number): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** `weeks` consecutive 7-day windows ending on `end` (inclusive), oldest first. */
export function weekWindows(end: string, weeks: number): { start: string; end: string }[] {
  return Array.from({ length: weeks }, (_, i) => {
    const last = shiftDay(end, -7 * (weeks - 1 - i));
    return { start: shiftDay(last, -6), end: last };
  });
}

function costsQuery(start: string, end: string, top: number) {
  return {
    queryKey: [...ADMIN, 'costs', start, end, top],
    queryFn: () => unwrap(api.GET('/api/v1/admin/costs', { params: { query: { start, end, top } } })),
    staleTime: 5 * 60_000,
    retry: (count: number, error: Error) => !notOperator(error) && count < 2,
  };
}

/** The report for the whole period (tenants, plans, top movers). */
export function useCosts(start: string, end: string) {
  return useQuery(costsQuery(start, end, 10));
}

/** One report per week of the period (for the chart of cost over time). */
export function useWeeklyCosts(end: string, weeks: number, enabled: boolean) {
  const windows = weekWindows(end, weeks);
  const results = useQueries({ queries: windows.map((w) => ({ ...costsQuery(w.start, w.end, 1), enabled })) });
  return { windows, results };
}

/** Tenants over their plan's cost alert share (what the daily alert job mails operators). */
export function costAlerts(tenants: TenantCost[]): { tenant: TenantCost; threshold: number }[] {
  return tenants.flatMap((tenant) => {
    const share = tenant.cost_share_of_price;
    const threshold = planSpec(tenant.plan)?.cost_alert_share;
    if (share === null || threshold === undefined || share <= threshold) return [];
    return [{ tenant, threshold }];
  });
}

export function useOverrides(orgId: string) {
  return useInfiniteQuery({
    queryKey: [...ADMIN, 'overrides', orgId],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/admin/organizations/{org_id}/overrides', {
          params: { path: { org_id: orgId }, query: { limit: 100, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    retry: (count, error) => !notOperator(error) && count < 2,
  });
}

export function useAddOverride(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: OverrideBody) =>
      unwrap(api.POST('/api/v1/admin/organizations/{org_id}/overrides', { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: ADMIN }),
  });
}

export function useRevokeOverride(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (overrideId: string) =>
      unwrap(
        api.DELETE('/api/v1/admin/organizations/{org_id}/overrides/{override_id}', {
          params: { path: { org_id: orgId, override_id: overrideId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: ADMIN }),
  });
}

export function useDeadLetters(filters: { direction?: 'inbound' | 'outbound'; replayed?: boolean }) {
  return useInfiniteQuery({
    queryKey: [...ADMIN, 'dead-letters', filters.direction ?? null, filters.replayed ?? null],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/admin/dead-letters', {
          params: { query: { limit: 50, cursor: pageParam, direction: filters.direction, replayed: filters.replayed } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    retry: (count, error) => !notOperator(error) && count < 2,
  });
}

export function useReplayDeadLetter() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST('/api/v1/admin/dead-letters/{dead_letter_id}/replay', { params: { path: { dead_letter_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: [...ADMIN, 'dead-letters'] }),
  });
}
