/**
 * The delivery log in numbers: successes and failures per hour (or per day when the log
 * spans more than two days) for the chart, and a summary (success rate, median time).
 */
import type { Attempt } from './api';

export type Grain = 'hour' | 'day';

export interface DeliveryBucket {
  /** The bucket's start, ISO (UTC). */
  start: string;
  succeeded: number;
  failed: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const MAX_BUCKETS = 48;

function floorTo(ms: number, grain: Grain): number {
  const size = grain === 'hour' ? HOUR : DAY;
  return Math.floor(ms / size) * size;
}

/** Per-bucket counts, oldest first, with empty buckets between (the newest `MAX_BUCKETS`). */
export function deliveryBuckets(attempts: Pick<Attempt, 'requested_at' | 'succeeded'>[]): { grain: Grain; buckets: DeliveryBucket[] } {
  const times = attempts.map((a) => Date.parse(a.requested_at)).filter((ms) => Number.isFinite(ms));
  if (times.length === 0) return { grain: 'hour', buckets: [] };
  const first = Math.min(...times);
  const last = Math.max(...times);
  const grain: Grain = last - first > 2 * DAY ? 'day' : 'hour';
  const size = grain === 'hour' ? HOUR : DAY;
  const end = floorTo(last, grain);
  const start = Math.max(floorTo(first, grain), end - (MAX_BUCKETS - 1) * size);
  const buckets = new Map<number, DeliveryBucket>();
  for (let at = start; at <= end; at += size) buckets.set(at, { start: new Date(at).toISOString(), succeeded: 0, failed: 0 });
  attempts.forEach((attempt) => {
    const bucket = buckets.get(floorTo(Date.parse(attempt.requested_at), grain));
    if (!bucket) return;
    if (attempt.succeeded) bucket.succeeded += 1;
    else bucket.failed += 1;
  });
  return { grain, buckets: [...buckets.values()] };
}

export interface DeliverySummary {
  total: number;
  succeeded: number;
  failed: number;
  /** 0–1, null without attempts. */
  successRate: number | null;
  medianMs: number | null;
}

export function deliverySummary(attempts: Pick<Attempt, 'succeeded' | 'duration_ms'>[]): DeliverySummary {
  const succeeded = attempts.filter((a) => a.succeeded).length;
  const durations = attempts.map((a) => a.duration_ms).sort((a, b) => a - b);
  const mid = Math.floor(durations.length / 2);
  let medianMs: number | null = null;
  if (durations.length > 0) medianMs = durations.length % 2 ? (durations[mid] ?? 0) : Math.round(((durations[mid - 1] ?? 0) + (durations[mid] ?? 0)) / 2);
  return {
    total: attempts.length,
    succeeded,
    failed: attempts.length - succeeded,
    successRate: attempts.length ? succeeded / attempts.length : null,
    medianMs,
  };
}
