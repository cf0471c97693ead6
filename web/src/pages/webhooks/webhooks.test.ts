import { deliveryBuckets, deliverySummary, MAX_BUCKETS } from './deliveries';
import { EVENT_TYPES, isEventType } from './events';
import { translateHook } from './i18n';
import { validUrl } from './Endpoints';
import { endpointState } from './components/EndpointStatus';

describe('the delivery chart', () => {
  it('counts deliveries and failures per hour, with the empty hours between', () => {
    const { grain, buckets } = deliveryBuckets([
      { requested_at: '2026-11-25T10:05:00Z', succeeded: true },
      { requested_at: '2026-11-25T10:40:00Z', succeeded: false },
      { requested_at: '2026-11-25T12:01:00Z', succeeded: true },
    ]);
    expect(grain).toBe('hour');
    expect(buckets).toEqual([
      { start: '2026-11-25T10:00:00.000Z', succeeded: 1, failed: 1 },
      { start: '2026-11-25T11:00:00.000Z', succeeded: 0, failed: 0 },
      { start: '2026-11-25T12:00:00.000Z', succeeded: 1, failed: 0 },
    ]);
  });

  it('switches to days over longer spans and keeps the newest buckets', () => {
    const attempts = [
      { requested_at: '2026-01-01T10:00:00Z', succeeded: false },
      { requested_at: '2026-11-25T10:00:00Z', succeeded: true },
    ];
    const { grain, buckets } = deliveryBuckets(attempts);
    expect(grain).toBe('day');
    expect(buckets).toHaveLength(MAX_BUCKETS);
    expect(buckets.at(-1)).toEqual({ start: '2026-11-25T00:00:00.000Z', succeeded: 1, failed: 0 });
    expect(deliveryBuckets([])).toEqual({ grain: 'hour', buckets: [] });
  });

  it('summarises the log', () => {
    expect(deliverySummary([
      { succeeded: true, duration_ms: 10 },
      { succeeded: false, duration_ms: 30 },
      { succeeded: true, duration_ms: 20 },
      { succeeded: true, duration_ms: 40 },
    ])).toEqual({ total: 4, succeeded: 3, failed: 1, successRate: 0.75, medianMs: 25 });
    expect(deliverySummary([]).successRate).toBeNull();
  });
});

describe('endpoints', () => {
  it('accept http(s) URLs only', () => {
    expect(validUrl('https://example.com/hook')).toBe(true);
    expect(validUrl('http://127.0.0.1:9000/x')).toBe(true);
    expect(validUrl('ftp://example.com')).toBe(false);
    expect(validUrl('example.com')).toBe(false);
  });

  it('have a state in words', () => {
    expect(endpointState({ enabled: true, failing_since: null })).toBe('enabled');
    expect(endpointState({ enabled: true, failing_since: '2026-11-25T10:00:00Z' })).toBe('failing');
    expect(endpointState({ enabled: false, failing_since: null })).toBe('disabled');
  });

  it('know every event type, described in both languages', () => {
    expect(EVENT_TYPES).toContain('webhook.test');
    expect(isEventType('sync.completed')).toBe(true);
    expect(isEventType('nope')).toBe(false);
    expect(translateHook('en', 'event.webhook.test')).toBe('Test events (sent on demand)');
    expect(translateHook('es', 'dead.title')).toBe('Mensajes fallidos');
  });
});
