// Gradient-boosted regression trees with least-absolute-deviation loss (Friedman's LAD TreeBoost):
// each tree is grown on the signs of the current residuals and each leaf moves the forecast by the
// median residual of its rows, times the shrinkage. A median leaf is what MASE (an absolute error)
// rewards, and a spike in the training targets moves it no more than any other residual of its sign.
// Features are cut into quantile bins once (a missing feature, NaN, gets its own bin), so a split
// search is one histogram pass per feature, and each tree sees a random half of the rows.
import { lowerBound, median } from "./stats";

export interface BoostingSettings {
  trees: number;
  depth: number;
  /** Fewest rows a leaf may hold: no split chases a handful of targets. */
  minLeaf: number;
  shrinkage: number;
  /** Share of rows each tree is grown on. */
  subsample: number;
  /** Quantile bins per feature (at most 255: bins are bytes, bin 0 is NaN). */
  bins: number;
}

/**
 * One tree as parallel arrays (node 0 the root). An inner node sends a row left when its feature's
 * bin is at most `bin`; a leaf has feature −1 and adds `value`.
 */
export interface TreeJSON {
  feature: number[];
  bin: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostedTreesJSON {
  /** The median target: every forecast starts there. */
  base: number;
  /** Per feature, the ascending bin edges: bin b + 1 holds values in (cuts[b − 1], cuts[b]]. */
  cuts: number[][];
  trees: TreeJSON[];
}

/** Training data: rows × p features, row-major (NaN for a feature a row cannot have). */
export interface TreeData {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  p: number;
}

function binOf(cuts: readonly number[], v: number): number {
  if (!Number.isFinite(v)) return 0;
  return lowerBound(cuts, v) + 1;
}

/** Distinct quantile edges of each feature's finite values. */
function quantileCuts(data: TreeData, bins: number): number[][] {
  const cuts: number[][] = [];
  for (let c = 0; c < data.p; c++) {
    const column: number[] = [];
    for (let r = 0; r < data.rows; r++) {
      const v = data.x[r * data.p + c];
      if (Number.isFinite(v)) column.push(v);
    }
    column.sort((a, b) => a - b);
    const edges: number[] = [];
    for (let b = 1; b < bins && column.length > 0; b++) {
      const v = column[Math.floor((b / bins) * column.length)];
      if (edges.length === 0 || v > edges[edges.length - 1]) edges.push(v);
    }
    cuts.push(edges);
  }
  return cuts;
}

export class BoostedTrees {
  private constructor(private readonly json: BoostedTreesJSON) {}

  static fromJSON(json: BoostedTreesJSON): BoostedTrees {
    return new BoostedTrees(json);
  }

  toJSON(): BoostedTreesJSON {
    return this.json;
  }

  predict(row: ArrayLike<number>): number {
    const { base, cuts, trees } = this.json;
    const binned = Array.from(cuts, (c, f) => binOf(c, row[f]));
    let sum = base;
    for (const tree of trees) sum += leafValue(tree, binned);
    return sum;
  }

  static fit(data: TreeData, settings: BoostingSettings, random: () => number): BoostedTrees {
    const { rows, p, y } = data;
    const cuts = quantileCuts(data, settings.bins);
    // Column-major bins: a split search reads one feature of many rows.
    const binned = new Uint8Array(rows * p);
    for (let r = 0; r < rows; r++) for (let c = 0; c < p; c++) binned[c * rows + r] = binOf(cuts[c], data.x[r * p + c]);
    const base = rows > 0 ? median(Array.from(y)) : 0;
    const forecast = new Float64Array(rows).fill(base);
    const sign = new Float64Array(rows);
    const trees: TreeJSON[] = [];
    const grower = new Grower(binned, rows, p, settings);
    for (let t = 0; t < settings.trees; t++) {
      for (let r = 0; r < rows; r++) sign[r] = Math.sign(y[r] - forecast[r]);
      const sample: number[] = [];
      for (let r = 0; r < rows; r++) if (random() < settings.subsample) sample.push(r);
      const tree = grower.grow(sample, sign, (leafRows) => settings.shrinkage * (leafRows.length > 0 ? median(leafRows.map((r) => y[r] - forecast[r])) : 0));
      trees.push(tree);
      const row = new Array<number>(p);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < p; c++) row[c] = binned[c * rows + r];
        forecast[r] += leafValue(tree, row);
      }
    }
    return new BoostedTrees({ base, cuts, trees });
  }
}

function leafValue(tree: TreeJSON, binned: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node] >= 0) node = binned[tree.feature[node]] <= tree.bin[node] ? tree.left[node] : tree.right[node];
  return tree.value[node];
}

/** Grows one tree depth-first on the gradient (least squares on the residuals' signs). */
class Grower {
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;

  constructor(
    private readonly binned: Uint8Array,
    private readonly rows: number,
    private readonly p: number,
    private readonly settings: BoostingSettings,
  ) {
    this.counts = new Float64Array(settings.bins + 1);
    this.sums = new Float64Array(settings.bins + 1);
  }

  grow(sample: number[], gradient: Float64Array, leaf: (rows: number[]) => number): TreeJSON {
    const tree: TreeJSON = { feature: [], bin: [], left: [], right: [], value: [] };
    const add = (members: number[], depth: number): number => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.bin.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(0);
      const split = depth < this.settings.depth ? this.bestSplit(members, gradient) : null;
      if (split === null) {
        tree.value[id] = leaf(members);
        return id;
      }
      const column = split.feature * this.rows;
      const left = members.filter((r) => this.binned[column + r] <= split.bin);
      const right = members.filter((r) => this.binned[column + r] > split.bin);
      tree.feature[id] = split.feature;
      tree.bin[id] = split.bin;
      tree.left[id] = add(left, depth + 1);
      tree.right[id] = add(right, depth + 1);
      return id;
    };
    add(sample, 0);
    return tree;
  }

  /** The split with the largest drop in squared gradient error, or null when none leaves minLeaf rows on both sides. */
  private bestSplit(members: number[], gradient: Float64Array): { feature: number; bin: number } | null {
    const n = members.length;
    const { minLeaf } = this.settings;
    if (n < 2 * minLeaf) return null;
    let total = 0;
    for (const r of members) total += gradient[r];
    const parent = (total * total) / n;
    let best: { feature: number; bin: number; gain: number } | null = null;
    const { counts, sums } = this;
    for (let c = 0; c < this.p; c++) {
      counts.fill(0);
      sums.fill(0);
      const column = c * this.rows;
      for (const r of members) {
        const b = this.binned[column + r];
        counts[b]++;
        sums[b] += gradient[r];
      }
      let nLeft = 0;
      let sumLeft = 0;
      for (let b = 0; b < counts.length - 1; b++) {
        nLeft += counts[b];
        sumLeft += sums[b];
        const nRight = n - nLeft;
        if (nLeft < minLeaf || nRight < minLeaf) continue;
        const gain = (sumLeft * sumLeft) / nLeft + ((total - sumLeft) * (total - sumLeft)) / nRight - parent;
        if (gain > 1e-9 && (best === null || gain > best.gain)) best = { feature: c, bin: b, gain };
      }
    }
    return best;
  }
}
