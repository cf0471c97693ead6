import { jsonResponse } from '../../test/render';
import { addDays, buildOverview, dayRange, loadSeries } from './metrics';

describe('overview series', () => {
  it('fills every day of the period and sums rows per channel', () => {
    const rows = [
      { date: '2026-01-01', channel_id: 'c1', spend: 10, revenue: 30, conversions: 1 },
      { date: '2026-01-01', channel_id: 'c1', spend: 5, revenue: 5, conversions: 1 },
      { date: '2026-01-03', channel_id: 'c2', spend: 7.5, revenue: 0, conversions: 0 },
      { date: '2025-12-01', channel_id: 'c2', spend: 100, revenue: 100, conversions: 9 },
    ];
    const overview = buildOverview(rows, { c1: 'Meta', c2: 'Google' }, '2026-01-01', '2026-01-03');
    expect(overview.channels).toEqual(['Google', 'Meta']);
    expect(overview.spend).toEqual([
      { date: '2026-01-01', Google: 0, Meta: 15 },
      { date: '2026-01-02', Google: 0, Meta: 0 },
      { date: '2026-01-03', Google: 7.5, Meta: 0 },
    ]);
    expect(overview.revenue[0]).toEqual({ date: '2026-01-01', Google: 0, Meta: 35 });
    // The row outside the period is ignored.
    expect(overview.totals).toEqual({ spend: 22.5, revenue: 35, conversions: 2, roas: 35 / 22.5 });
  });

  it('has no ROAS without spend', () => {
    expect(buildOverview([], {}, '2026-01-01', '2026-01-01').totals.roas).toBeNull();
  });

  it('counts days across month and year ends', () => {
    expect(addDays('2025-12-31', 1)).toBe('2026-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(dayRange('2026-01-30', '2026-02-02')).toHaveLength(4);
  });
});

describe('loadSeries', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('asks the server for the per-channel series and names the channels', async () => {
    const seen: string[] = [];
    vi.stubGlobal('fetch', async (request: Request) => {
      seen.push(request.url);
      return jsonResponse(200, {
        date_from: '2026-01-01',
        date_to: '2026-01-02',
        channels: [{ id: 'c1', name: 'Meta', platform: 'meta', grain: 'creative' }],
        data: [{ date: '2026-01-02', channel_id: 'c1', impressions: 10, clicks: 1, spend: 15, conversions: 2, revenue: 35 }],
      });
    });
    const loaded = await loadSeries('org-1', 2);
    expect(new URL(seen[0] ?? '').pathname).toBe('/api/v1/organizations/org-1/metrics/series');
    expect(new URL(seen[0] ?? '').searchParams.get('days')).toBe('2');
    expect(loaded?.overview.spend).toEqual([
      { date: '2026-01-01', Meta: 0 },
      { date: '2026-01-02', Meta: 15 },
    ]);
  });

  it('answers null when there is no data yet', async () => {
    vi.stubGlobal('fetch', async () => jsonResponse(200, { date_from: null, date_to: null, channels: [], data: [] }));
    expect(await loadSeries('org-1', 7)).toBeNull();
  });
});
