import { curvePoints, hill } from './curves';

describe('response curves', () => {
  it('follows the Hill formula: half of beta at k, zero at no spend, beta in the limit', () => {
    expect(hill(0, 100, 50, 2)).toBe(0);
    expect(hill(50, 100, 50, 2)).toBeCloseTo(50);
    expect(hill(5000, 100, 50, 2)).toBeGreaterThan(99.9);
  });

  it('spans twice the largest of current spend and half saturation, one key per channel', () => {
    const points = curvePoints([
      { name: 'Meta', beta: 1000, k: 200, shape: 1.5, current: 300 },
      { name: 'TikTok', beta: 400, k: 100, shape: 2, current: null },
    ], 10);
    expect(points).toHaveLength(11);
    expect(points[0]).toEqual({ spend: 0, Meta: 0, TikTok: 0 });
    expect(points[10]?.spend).toBe(600);
    expect(points[10]?.Meta).toBeCloseTo(hill(600, 1000, 200, 1.5), 1);
  });

  it('skips curves with unusable parameters', () => {
    expect(curvePoints([{ name: 'X', beta: 1, k: 0, shape: 1, current: 1 }])).toEqual([]);
  });
});
