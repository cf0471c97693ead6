/**
 * Turning the warehouse's daily series (`GET …/metrics/series`: totals per day and channel,
 * each channel summed at one level on the server so nothing counts twice) into the charts'
 * series.
 */
import { api, unwrap } from '../../api/client';

export interface MetricRow {
  date: string;
  channel_id: string;
  spend: number;
  revenue: number;
  conversions: number;
}

export interface DailyPoint {
  date: string;
  [channel: string]: number | string;
}

export interface Overview {
  channels: string[];
  spend: DailyPoint[];
  revenue: DailyPoint[];
  totals: { spend: number; revenue: number; conversions: number; roas: number | null };
}

export function addDays(isoDate: string, days: number): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** Every day from `from` to `to` inclusive, so gaps in the data show as zeros, not jumps. */
export function dayRange(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to && days.length < 3660; day = addDays(day, 1)) days.push(day);
  return days;
}

export function buildOverview(rows: MetricRow[], names: Record<string, string>, from: string, to: string): Overview {
  const label = (id: string) => names[id] ?? id.slice(0, 8);
  const channels = [...new Set(rows.map((row) => label(row.channel_id)))].sort();
  const blank = (date: string): DailyPoint => Object.fromEntries([['date', date], ...channels.map((c) => [c, 0])]) as DailyPoint;
  const spend = new Map(dayRange(from, to).map((day) => [day, blank(day)]));
  const revenue = new Map(dayRange(from, to).map((day) => [day, blank(day)]));
  const totals = { spend: 0, revenue: 0, conversions: 0 };
  for (const row of rows) {
    const channel = label(row.channel_id);
    const s = spend.get(row.date);
    const r = revenue.get(row.date);
    if (!s || !r) continue;
    s[channel] = round2(Number(s[channel] ?? 0) + row.spend);
    r[channel] = round2(Number(r[channel] ?? 0) + row.revenue);
    totals.spend += row.spend;
    totals.revenue += row.revenue;
    totals.conversions += row.conversions;
  }
  return {
    channels,
    spend: [...spend.values()],
    revenue: [...revenue.values()],
    totals: { ...totals, roas: totals.spend > 0 ? totals.revenue / totals.spend : null },
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** The last `days` days of data (ending on the latest day with any), per day and channel. */
export async function loadSeries(orgId: string, days: number): Promise<{ overview: Overview; from: string; to: string } | null> {
  const series = await unwrap(
    api.GET('/api/v1/organizations/{org_id}/metrics/series', { params: { path: { org_id: orgId }, query: { days } } }),
  );
  if (!series.date_from || !series.date_to) return null;
  const names = Object.fromEntries(series.channels.map((channel) => [channel.id, channel.name]));
  return { overview: buildOverview(series.data, names, series.date_from, series.date_to), from: series.date_from, to: series.date_to };
}
