/**
 * Response curves drawn from MEMORY's fitted parameters: modelled daily revenue at daily
 * spend s is the Hill saturation `beta * s^shape / (s^shape + k^shape)` (k: the spend at half
 * saturation). The points are computed here so the API only sends four numbers per channel.
 */
export interface Curve {
  name: string;
  beta: number;
  k: number;
  shape: number;
  current: number | null;
}

export function hill(spend: number, beta: number, k: number, shape: number): number {
  if (spend <= 0 || k <= 0) return 0;
  const s = Math.pow(spend, shape);
  return (beta * s) / (s + Math.pow(k, shape));
}

/**
 * `steps + 1` points from zero to twice the largest of each channel's current daily spend
 * and half-saturation spend, so every curve shows where it flattens.
 */
export function curvePoints(curves: Curve[], steps = 40): { spend: number; [channel: string]: number }[] {
  const usable = curves.filter((c) => [c.beta, c.k, c.shape].every(Number.isFinite) && c.k > 0 && c.shape > 0);
  if (usable.length === 0) return [];
  const top = 2 * Math.max(...usable.map((c) => Math.max(c.k, c.current ?? 0)));
  const points: { spend: number; [channel: string]: number }[] = [];
  for (let i = 0; i <= steps; i += 1) {
    const spend = Math.round((top * i) / steps);
    const point: { spend: number; [channel: string]: number } = { spend };
    for (const c of usable) point[c.name] = Math.round(hill(spend, c.beta, c.k, c.shape) * 100) / 100;
    points.push(point);
  }
  return points;
}
