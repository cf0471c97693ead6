import { addDays, buildOverview, dayRange } from './metrics';

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
