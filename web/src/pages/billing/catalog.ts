/**
 * The plan catalog (`plans.json`, written by `npm run api` from `brain.billing.catalog`, the
 * same data the backend enforces), and what moving between two plans changes.
 */
import data from './plans.json';

export type QuotaPeriod = 'minute' | 'day' | 'month';

export interface PlanSpec {
  name: string;
  title: string;
  /** null: custom price (Enterprise) or free (the trial). */
  monthly_price_usd: number | null;
  modules: string[];
  features: string[];
  included_seats: number;
  max_seats: number | null;
  max_integrations: number | null;
  quotas: Record<string, number | null>;
  retention_days: number;
  purchasable: boolean;
  cost_alert_share: number;
}

interface Catalog {
  order: string[];
  quota_periods: Record<string, QuotaPeriod>;
  modules: string[];
  features: string[];
  plans: PlanSpec[];
}

export const CATALOG = data as Catalog;
export const MODULES = CATALOG.modules;
export const FEATURES = CATALOG.features;
export const QUOTAS = Object.keys(CATALOG.quota_periods);

/** Purchasable plans, cheapest first (the comparison table's columns). */
export const PURCHASABLE: PlanSpec[] = CATALOG.order
  .map((name) => CATALOG.plans.find((plan) => plan.name === name))
  .filter((plan): plan is PlanSpec => plan !== undefined && plan.purchasable);

export function planSpec(name: string): PlanSpec | undefined {
  return CATALOG.plans.find((plan) => plan.name === name);
}

export function planTitle(name: string): string {
  return planSpec(name)?.title ?? name.charAt(0).toUpperCase() + name.slice(1);
}

export function quotaPeriod(quota: string): QuotaPeriod | undefined {
  return CATALOG.quota_periods[quota];
}

/** The plan's rank by price (the trial and unknown plans rank below every paid plan). */
export function planRank(name: string): number {
  return CATALOG.order.indexOf(name);
}

export type Direction = 'upgrade' | 'downgrade' | 'current';

export function direction(current: string, target: string): Direction {
  if (current === target) return 'current';
  return planRank(target) > planRank(current) ? 'upgrade' : 'downgrade';
}

export interface PlanDiff {
  from: PlanSpec | undefined;
  to: PlanSpec;
  /** Monthly price change in dollars; null when either side has no list price. */
  priceChange: number | null;
  gained: string[];
  lost: string[];
}

/** What moving from `current` to `target` changes (for the confirmation dialog). */
export function planDiff(current: string, target: PlanSpec): PlanDiff {
  const from = planSpec(current);
  const before = new Set(from?.modules ?? []);
  const after = new Set(target.modules);
  const fromPrice = from?.name === 'trial' ? 0 : from?.monthly_price_usd;
  const priceChange =
    fromPrice === null || fromPrice === undefined || target.monthly_price_usd === null ? null : target.monthly_price_usd - fromPrice;
  return {
    from,
    to: target,
    priceChange,
    gained: MODULES.filter((m) => after.has(m) && !before.has(m)),
    lost: MODULES.filter((m) => before.has(m) && !after.has(m)),
  };
}
