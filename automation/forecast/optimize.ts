// Nelder–Mead simplex search: derivative-free, which suits the piecewise recursions of Holt-Winters.

export interface MinimizeOptions {
  maxEvaluations?: number;
  /** Initial simplex edge length. */
  step?: number;
  /** Stop when the simplex's values differ by less than this (relative). */
  tolerance?: number;
}

export function nelderMead(
  f: (x: number[]) => number,
  start: readonly number[],
  { maxEvaluations = 300, step = 0.5, tolerance = 1e-6 }: MinimizeOptions = {},
): { x: number[]; value: number } {
  const n = start.length;
  const safe = (x: number[]): number => {
    const y = f(x);
    return Number.isFinite(y) ? y : Number.MAX_VALUE;
  };
  let simplex = [start.slice()];
  for (let i = 0; i < n; i++) {
    const x = start.slice();
    x[i] += step;
    simplex.push(x);
  }
  let values = simplex.map(safe);
  let evaluations = simplex.length;
  const combine = (a: number[], b: number[], t: number): number[] => a.map((ai, i) => ai + t * (b[i] - ai));
  while (evaluations < maxEvaluations) {
    const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
    simplex = order.map((i) => simplex[i]);
    values = order.map((i) => values[i]);
    const best = values[0];
    const worst = values[n];
    if (Math.abs(worst - best) <= tolerance * (Math.abs(best) + 1e-12)) break;
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i][j] / n;
    const reflected = combine(centroid, simplex[n], -1);
    const fr = safe(reflected);
    evaluations++;
    if (fr < best) {
      const expanded = combine(centroid, simplex[n], -2);
      const fe = safe(expanded);
      evaluations++;
      [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
    } else if (fr < values[n - 1]) {
      [simplex[n], values[n]] = [reflected, fr];
    } else {
      const contracted = fr < worst ? combine(centroid, reflected, 0.5) : combine(centroid, simplex[n], 0.5);
      const fc = safe(contracted);
      evaluations++;
      if (fc < Math.min(fr, worst)) {
        [simplex[n], values[n]] = [contracted, fc];
      } else {
        for (let i = 1; i <= n; i++) {
          simplex[i] = combine(simplex[0], simplex[i], 0.5);
          values[i] = safe(simplex[i]);
          evaluations++;
        }
      }
    }
  }
  const bestIndex = values.indexOf(Math.min(...values));
  return { x: simplex[bestIndex], value: values[bestIndex] };
}

export const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));
