/**
 * Reading a sync run: its streams' counts, how far each got through the date range (the
 * engine records the last finished day per stream) and how long each took, durations, and
 * the history chart's rows.
 */
import type { Sync } from './api';

export interface StreamProgress {
  name: string;
  rowsRead: number;
  rowsWritten: number;
  status: string;
  through: string | null;
  /** 0–1: the share of the run's days done (1 once the stream succeeded). */
  fraction: number;
  /** How long the stream took (its own duration; null until it finished, or unknown). */
  seconds: number | null;
}

const DAY_MS = 86_400_000;

function dayNumber(iso: string): number {
  return Math.floor(Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / DAY_MS);
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A stream's duration: its `seconds`, or the time between its `started_at` and `finished_at`. */
export function streamSeconds(entry: Record<string, unknown>): number | null {
  if (typeof entry.seconds === 'number' && Number.isFinite(entry.seconds) && entry.seconds >= 0) return entry.seconds;
  if (typeof entry.started_at !== 'string' || typeof entry.finished_at !== 'string') return null;
  const ms = Date.parse(entry.finished_at) - Date.parse(entry.started_at);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

/** Each stream of the run, with the stream names the connection has (not yet started: 0). */
export function streamProgress(sync: Pick<Sync, 'streams' | 'start_date' | 'end_date' | 'status'>, expected: string[] = []): StreamProgress[] {
  const names = [...expected, ...Object.keys(sync.streams).filter((name) => !expected.includes(name))];
  const first = dayNumber(sync.start_date);
  const days = Math.max(1, dayNumber(sync.end_date) - first + 1);
  return names.map((name) => {
    const raw = sync.streams[name];
    const entry = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    const through = typeof entry.through === 'string' ? entry.through : null;
    const status = typeof entry.status === 'string' ? entry.status : sync.status === 'succeeded' || sync.status === 'failed' ? sync.status : 'pending';
    let fraction = through ? (dayNumber(through) - first + 1) / days : 0;
    if (status === 'succeeded') fraction = 1;
    fraction = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
    return { name, rowsRead: num(entry.rows_read), rowsWritten: num(entry.rows_written), status, through, fraction, seconds: streamSeconds(entry) };
  });
}

/** The run's overall progress (the mean of its streams'; 1 when it succeeded). */
export function overallFraction(streams: StreamProgress[], status: Sync['status']): number {
  if (status === 'succeeded') return 1;
  if (streams.length === 0) return 0;
  return streams.reduce((sum, s) => sum + s.fraction, 0) / streams.length;
}

/** Seconds as the history shows them: `0.4 s`, `12 s`, `3 min 5 s`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds - minutes * 60);
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

export type SyncChartRow = {
  /** The run's start (or creation) time, as the x-axis label. */
  when: string;
  id: string;
  written: number;
  read: number;
  status: Sync['status'];
};

/** Rows read and written per sync, oldest first (the API lists newest first). */
export function syncChartRows(syncs: Sync[], label: (iso: string) => string): SyncChartRow[] {
  return [...syncs]
    .sort((a, b) => Date.parse(a.started_at ?? a.created_at) - Date.parse(b.started_at ?? b.created_at))
    .map((s) => ({ when: label(s.started_at ?? s.created_at), id: s.id, written: s.rows_written, read: s.rows_read, status: s.status }));
}
