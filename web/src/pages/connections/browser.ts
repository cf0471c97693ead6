/** Leaving the app for a provider's authorization page (a seam the component tests replace). */
export const browser = {
  assign(url: string): void {
    window.location.assign(url);
  },
};

/** Today's date (UTC, the API's calendar) as `YYYY-MM-DD`, moved by `days`. */
export function isoDay(days = 0, now: Date = new Date()): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whether `value` is a real `YYYY-MM-DD` date. */
export function isIsoDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
}
