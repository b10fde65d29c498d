// Weighted ridge regression by Cholesky, and least absolute deviations by reweighting it (IRLS):
// the regression model's fits are small (tens of features), so normal equations are exact enough.

/** Solves (A + λ·P) x = b for symmetric positive definite A (row-major, p×p); P penalises all but `free`. */
function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * p + j];
      for (let k = 0; k < j; k++) sum -= l[i * p + k] * l[j * p + k];
      if (i === j) l[i * p + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * p + j] = sum / l[j * p + j];
    }
  }
  const y = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= l[i * p + k] * y[k];
    y[i] = sum / l[i * p + i];
  }
  const x = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < p; k++) sum -= l[k * p + i] * x[k];
    x[i] = sum / l[i * p + i];
  }
  return x;
}

export interface Design {
  /** Rows × p features, row-major. */
  x: Float64Array;
  y: Float64Array;
  rows: number;
  p: number;
}

/**
 * Minimises Σ wᵢ (yᵢ − xᵢ·β)² + λ Σ_{j≥1} (sⱼ βⱼ)², where sⱼ is column j's root mean square, so the
 * penalty does not depend on the features' units. Column 0 is the intercept and is not penalised.
 */
export function ridge(d: Design, weights: Float64Array, lambda: number): Float64Array {
  const { x, y, rows, p } = d;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  const squares = new Float64Array(p);
  for (let r = 0; r < rows; r++) {
    const w = weights[r];
    const o = r * p;
    for (let i = 0; i < p; i++) {
      const xi = x[o + i];
      squares[i] += xi * xi;
      if (w === 0 || xi === 0) continue;
      const wxi = w * xi;
      b[i] += wxi * y[r];
      for (let j = 0; j <= i; j++) a[i * p + j] += wxi * x[o + j];
    }
  }
  let total = 0;
  for (let r = 0; r < rows; r++) total += weights[r];
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) a[j * p + i] = a[i * p + j];
    // A column that is zero throughout still gets a tiny ridge, so the system stays solvable.
    if (i > 0) a[i * p + i] += lambda * (total / Math.max(rows, 1)) * Math.max(squares[i], 1e-12);
  }
  return choleskySolve(a, b, p);
}

/**
 * Minimises Σ wᵢ (yᵢ − xᵢ·β)² + λ Σⱼ sⱼ (βⱼ − β₀ⱼ)², where sⱼ is column j's weighted sum of squares:
 * each coefficient is pulled toward its prior by the same relative amount, whatever its column's
 * scale (a wild column must not pin the others). A column that is zero throughout keeps its prior.
 */
export function ridgeToward(d: Design, weights: Float64Array, lambda: number, prior: ArrayLike<number>): Float64Array {
  const { x, y, rows, p } = d;
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let r = 0; r < rows; r++) {
    const w = weights[r];
    if (w === 0) continue;
    const o = r * p;
    for (let i = 0; i < p; i++) {
      const wxi = w * x[o + i];
      b[i] += wxi * y[r];
      for (let j = 0; j <= i; j++) a[i * p + j] += wxi * x[o + j];
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) a[j * p + i] = a[i * p + j];
    const squares = a[i * p + i];
    if (squares > 0) {
      a[i * p + i] += lambda * squares;
      b[i] += lambda * squares * prior[i];
    } else {
      a[i * p + i] = 1;
      b[i] = prior[i];
    }
  }
  return choleskySolve(a, b, p);
}

/**
 * Least absolute deviations with a ridge penalty, by iteratively reweighted least squares: weights
 * 1 / max(|residual|, floor), starting from ordinary least squares. Median regression, so a forecast
 * is a conditional median (what MASE rewards) and spikes in the history pull it less than squares would.
 */
export function lad(d: Design, lambda: number, iterations: number): Float64Array {
  const weights = new Float64Array(d.rows).fill(1);
  let beta = ridge(d, weights, lambda);
  for (let it = 0; it < iterations; it++) {
    const residuals = new Float64Array(d.rows);
    for (let r = 0; r < d.rows; r++) residuals[r] = Math.abs(d.y[r] - dot(d.x, r * d.p, beta));
    // The floor keeps points fitted (almost) exactly from taking all the weight; relative to the
    // median residual, so gross outliers do not widen it.
    const floor = Math.max(0.1 * medianOf(residuals), 1e-12);
    for (let r = 0; r < d.rows; r++) weights[r] = 1 / Math.max(residuals[r], floor);
    beta = ridge(d, weights, lambda);
  }
  return beta;
}

export function dot(x: ArrayLike<number>, offset: number, beta: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < beta.length; j++) s += x[offset + j] * beta[j];
  return s;
}

function medianOf(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  const sorted = Float64Array.from(xs).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
