/**
 * The plan, billing and usage API as TanStack Query hooks. Keys start with
 * `['billing', orgId]`, so a plan change refreshes the plan, the billing summary, the usage
 * and the shell's banner at once.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryKey } from '@tanstack/react-query';

import { api, orgPath, unwrap, type Schemas } from '../../api/client';
import { ApiError } from '../../api/problem';
import { useOrgId } from '../../auth/session';

export type PlanOverview = Schemas['PlanOverview'];
export type BillingSummary = Schemas['BillingRead'];
export type Invoice = Schemas['InvoiceRead'];
export type Usage = Schemas['UsageRead'];
export type Quota = Schemas['QuotaRead'];
export type PlanPreview = Schemas['PlanPreviewRead'];
export type PlanName = Schemas['PlanChange']['plan'];

export const billingKey = (orgId: string): QueryKey => ['billing', orgId];
export const planKey = (orgId: string): QueryKey => ['billing', orgId, 'plan'];

/** The plan, status, seats, entitlements and quotas (any member may read it). */
export function usePlan(enabled = true) {
  const orgId = useOrgId();
  return useQuery({ ...planQuery(orgId), enabled });
}

/** The plan's query. */
export function planQuery(orgId: string) {
  return {
    queryKey: planKey(orgId),
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/plan', orgPath(orgId))),
    staleTime: 60_000,
  };
}

/** The billing page's summary (billing:read): mode, price, seats, next invoice, notices. */
export function useBillingSummary(enabled = true) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['billing', orgId, 'summary'],
    queryFn: () => unwrap(api.GET('/api/v1/organizations/{org_id}/billing', orgPath(orgId))),
    staleTime: 60_000,
    enabled,
  });
}

export function useInvoices(enabled = true) {
  const orgId = useOrgId();
  return useInfiniteQuery({
    queryKey: ['billing', orgId, 'invoices'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/billing/invoices', {
          params: { path: { org_id: orgId }, query: { limit: 25, cursor: pageParam } },
        }),
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => (page.has_more ? (page.next_cursor ?? undefined) : undefined),
    enabled,
  });
}

export function useUsage(range: { start?: string; end?: string }) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['billing', orgId, 'usage', range.start ?? null, range.end ?? null],
    queryFn: () =>
      unwrap(
        api.GET('/api/v1/organizations/{org_id}/usage', {
          params: { path: { org_id: orgId }, query: { start: range.start, end: range.end } },
        }),
      ),
    staleTime: 30_000,
  });
}

/** Stripe's prorated price of moving to `plan` now (Stripe mode with a subscription only). */
export function usePlanPreview(plan: PlanName | null, enabled: boolean) {
  const orgId = useOrgId();
  return useQuery({
    queryKey: ['billing', orgId, 'preview', plan],
    queryFn: () =>
      unwrap(api.POST('/api/v1/organizations/{org_id}/billing/preview', { ...orgPath(orgId), body: { plan: plan ?? 'starter' } })),
    enabled: enabled && plan !== null,
    // The proration date is "now": an old preview must not be confirmed later.
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
}

export function useChangePlan() {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ plan, prorationDate }: { plan: PlanName; prorationDate?: number }) =>
      unwrap(
        api.POST('/api/v1/organizations/{org_id}/plan', {
          ...orgPath(orgId),
          body: { plan, proration_date: prorationDate ?? null },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: billingKey(orgId) }),
  });
}

/** Start Stripe Checkout (or, in local mode, switch at once); the caller follows `url`. */
export function useCheckout() {
  const orgId = useOrgId();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (plan: PlanName) =>
      unwrap(
        api.POST('/api/v1/organizations/{org_id}/billing/checkout', {
          ...orgPath(orgId),
          body: { plan, success_path: '/settings/billing?checkout=success', cancel_path: '/settings/billing?checkout=cancel' },
        }),
      ),
    onSuccess: (result) => {
      if (result.mode === 'local') return client.invalidateQueries({ queryKey: billingKey(orgId) });
      return undefined;
    },
  });
}

export function usePortal() {
  const orgId = useOrgId();
  return useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/organizations/{org_id}/billing/portal', orgPath(orgId))),
  });
}

/** Send the browser to a Stripe page (Checkout, portal); a seam for tests. */
export const redirect = { to: (url: string) => window.location.assign(url) };

export interface Violation {
  limit: string;
  current: number | string;
  allowed: number | string;
  action: string;
}

/** The 409 "does not fit the plan" problem's list of what must change first. */
export function planViolations(error: unknown): Violation[] | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const list = error.problem.violations;
  if (!Array.isArray(list)) return null;
  return list.filter(
    (v): v is Violation => typeof v === 'object' && v !== null && typeof (v as Violation).limit === 'string' && typeof (v as Violation).action === 'string',
  );
}

/**
 * Calendar days (the user's time zone) from `now` until `iso`: 0 when it is later today,
 * 1 tomorrow…; -1 once it has passed.
 */
export function daysUntil(iso: string, now: Date = new Date()): number {
  const end = new Date(iso);
  if (end.getTime() <= now.getTime()) return -1;
  const midnight = (d: Date) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  return Math.round((midnight(end) - midnight(now)) / 86_400_000);
}

/** A quota's share used (0..1+), or null when unlimited. */
export function quotaShare(quota: Pick<Quota, 'limit' | 'used'>): number | null {
  if (quota.limit === null) return null;
  if (quota.limit === 0) return quota.used > 0 ? 1 : 0;
  return quota.used / quota.limit;
}

/**
 * The metered usage as one row per day with one column per dimension (a stacked bar chart),
 * zero-filled over [start, end] so quiet days show as gaps rather than disappearing.
 */
export function dailySeries(usage: Pick<Usage, 'meters' | 'start' | 'end'>, meter: string): { rows: Record<string, number | string>[]; series: string[] } {
  const series = Array.from(new Set(usage.meters.filter((m) => m.meter === meter).map((m) => m.dimension || meter))).sort();
  const byDay = new Map<string, Record<string, number | string>>();
  const first = Date.parse(`${usage.start}T00:00:00Z`);
  const last = Date.parse(`${usage.end}T00:00:00Z`);
  for (let t = first; Number.isFinite(t) && t <= last; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    byDay.set(day, Object.fromEntries([['day', day], ...series.map((s) => [s, 0])]));
  }
  for (const row of usage.meters) {
    if (row.meter !== meter) continue;
    const entry = byDay.get(row.day) ?? Object.fromEntries([['day', row.day], ...series.map((s) => [s, 0])]);
    const name = row.dimension || meter;
    entry[name] = Number(entry[name] ?? 0) + row.amount;
    byDay.set(row.day, entry);
  }
  const rows = Array.from(byDay.values()).sort((a, b) => String(a.day).localeCompare(String(b.day)));
  return { rows, series };
}
