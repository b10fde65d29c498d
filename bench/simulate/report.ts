// The readable side: target checks, per-trace figures and the Pareto table (violation minutes vs
// instance-minutes) at every cold start, the cost sweep, timings, and one SVG per series.
import { PROMOTION, SimResult, Timeline } from "../../automation/simulate";
import { Chart, renderChart } from "../lib/svg";
import type { BenchRow, Seconds, SeriesTiming, SweepRow } from "./run";
import { COLD_STARTS, FIXED_OVERRIDES, HPA, PARAMS, REFIT, RUNNER_INTERVAL_SEC, SWEEP, TARGET_UTILISATION, TUNED_OVERRIDES, TUNING_SERIES } from "./setup";
import { shortName } from "../forecast/series";

export const STRATEGIES = ["reactive-hpa", "phpa", "understudy", "understudy-warm", "oracle"];
const BASELINES = ["reactive-hpa", "phpa"];
const COLORS: Record<string, string> = { "reactive-hpa": "#d62728", phpa: "#ff7f0e", understudy: "#2ca02c", "understudy-warm": "#9467bd", oracle: "#1f77b4" };

/** Median of the numbers that are not NaN; NaN when none is. */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export type Verdict = "better" | "worse" | "same" | "trade-off";

/** Pareto comparison on (violation minutes, instance-minutes): better = one fewer and the other no more. */
export function pareto(a: SimResult, b: SimResult): Verdict {
  const dv = a.violationMinutes - b.violationMinutes;
  const dc = a.instanceMinutes - b.instanceMinutes;
  if (dv === 0 && dc === 0) return "same";
  if (dv <= 0 && dc <= 0) return "better";
  if (dv >= 0 && dc >= 0) return "worse";
  return "trade-off";
}

export interface Ratios {
  series: string;
  /** Strategy's violation minutes over reactive-hpa's; NaN where reactive-hpa has none (nothing to divide by: reported apart). */
  violations: number;
  /** Strategy's instance-minutes over the oracle's. */
  instanceMinutes: number;
}

const seriesOf = (rows: readonly SimResult[]): string[] => [...new Set(rows.map((r) => r.series))];

function pick(rows: readonly BenchRow[], series: string, strategy: string, coldStartSec: number): BenchRow {
  const row = rows.find((r) => r.series === series && r.strategy === strategy && r.coldStartSec === coldStartSec);
  if (!row) throw new Error(`no ${strategy} row for ${series} at a ${coldStartSec} s cold start`);
  return row;
}

export function ratios(rows: readonly BenchRow[], coldStartSec: number, strategy = "understudy"): Ratios[] {
  return seriesOf(rows.filter((r) => r.coldStartSec === coldStartSec)).map((s) => {
    const us = pick(rows, s, strategy, coldStartSec);
    const hpa = pick(rows, s, "reactive-hpa", coldStartSec);
    return {
      series: s,
      violations: hpa.violationMinutes > 0 ? us.violationMinutes / hpa.violationMinutes : NaN,
      instanceMinutes: us.instanceMinutes / pick(rows, s, "oracle", coldStartSec).instanceMinutes,
    };
  });
}

export interface TargetCheck {
  name: string;
  target: string;
  /** What was measured, as text (a count, a median, or why there is nothing). */
  value: string;
  met: boolean;
}

const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : Number.isNaN(x) ? "–" : x > 0 ? "∞" : "−∞");

/** The targets at one cold start; a check without data fails and says so. */
export function targetChecks(rows: readonly BenchRow[], timing: readonly SeriesTiming[], coldStartSec: number, strategy = "understudy"): TargetCheck[] {
  const at = rows.filter((r) => r.coldStartSec === coldStartSec);
  const series = seriesOf(at);
  const checks: TargetCheck[] = BASELINES.map((b) => {
    const verdicts = series.map((s) => pareto(pick(at, s, strategy, coldStartSec), pick(at, s, b, coldStartSec)));
    const better = verdicts.filter((v) => v === "better").length;
    return {
      name: `${strategy} Pareto-better than ${b} on every evaluation trace`,
      target: `${series.length} of ${series.length}`,
      value: series.length === 0 ? "no trace" : `${better} of ${series.length}`,
      met: series.length > 0 && better === series.length,
    };
  });
  const r = ratios(at, coldStartSec, strategy);
  const counted = r.filter((x) => !Number.isNaN(x.violations));
  const v = median(counted.map((x) => x.violations));
  const c = median(r.map((x) => x.instanceMinutes));
  checks.push(
    {
      name: `${strategy} violation minutes / reactive-hpa's (median over the ${counted.length} traces where reactive-hpa has any)`,
      target: "≤ 0.20",
      value: counted.length === 0 ? "no trace where reactive-hpa has violations" : f(v, 3),
      met: counted.length > 0 && v <= 0.2,
    },
    { name: `${strategy} instance-minutes / oracle's (median)`, target: "≤ 1.20", value: r.length === 0 ? "no trace" : f(c, 3), met: r.length > 0 && c <= 1.2 },
  );
  if (strategy === "understudy" && coldStartSec === PARAMS.coldStartSec) {
    const twoWeeks = timing.filter((t) => t.stepSec === 300 && t.replayDays <= 15);
    const slowest = Math.max(...twoWeeks.map((t) => t.understudy.cpu));
    checks.push({
      name: "understudy on a ≤ 2-week 5-minute trace: forecasts + replay (slowest, CPU s)",
      target: "≤ 60",
      value: twoWeeks.length === 0 ? "no such trace" : f(slowest, 1),
      met: twoWeeks.length > 0 && slowest <= 60,
    });
  }
  return checks;
}

const secs = (s: Seconds | undefined): string => (s ? `${s.cpu.toFixed(1)} (${s.wall.toFixed(1)})` : "–");

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export interface ReportInput {
  rows: BenchRow[];
  sweep: SweepRow[];
  timing: SeriesTiming[];
  understudyKind: string;
  elapsedSeconds: number;
  plots: string[];
}

const checkTable = (checks: TargetCheck[]): string => table(["check", "target", "value", "met"], checks.map((c) => [c.name, c.target, c.value, c.met ? "yes" : "**no**"]));

function paretoTable(rows: readonly BenchRow[], coldStartSec: number): string {
  const at = rows.filter((r) => r.coldStartSec === coldStartSec);
  return table(
    ["series", ...STRATEGIES.map((s) => `${s} (viol. min / inst. min)`), "understudy vs reactive-hpa", "understudy vs phpa", "understudy-warm vs reactive-hpa", "understudy-warm vs phpa"],
    seriesOf(at).map((s) => {
      const of = (name: string): BenchRow => pick(at, s, name, coldStartSec);
      return [
        s,
        ...STRATEGIES.map((name) => `${f(of(name).violationMinutes, 0)} / ${f(of(name).instanceMinutes, 0)}`),
        pareto(of("understudy"), of("reactive-hpa")),
        pareto(of("understudy"), of("phpa")),
        pareto(of("understudy-warm"), of("reactive-hpa")),
        pareto(of("understudy-warm"), of("phpa")),
      ];
    }),
  );
}

function ratioTable(rows: readonly BenchRow[], coldStartSec: number): string {
  const at = rows.filter((r) => r.coldStartSec === coldStartSec);
  const byStrategy = ["phpa", "understudy", "understudy-warm"].map((s) => ratios(at, coldStartSec, s));
  return table(
    ["series", ...["phpa", "understudy", "understudy-warm"].flatMap((s) => [`${s} violations / reactive-hpa`, `${s} inst. min / oracle`])],
    seriesOf(at).map((s, i) => [s, ...byStrategy.flatMap((r) => [Number.isNaN(r[i].violations) ? "reactive-hpa has 0: left out" : f(r[i].violations, 3), f(r[i].instanceMinutes, 2)])]),
  );
}

export function markdownReport(x: ReportInput): string {
  const H = PARAMS.coldStartSec;
  const sweepRows = SWEEP.map((c) => {
    const mine = x.sweep.filter((s) => s.degradedCostPerMinute === c);
    const rr = ratios([...x.rows.filter((row) => row.strategy !== "understudy"), ...mine.map((s) => ({ ...s, strategy: "understudy" }))], H);
    return [`$${c}`, `$${10 * c}`, f(median(rr.map((q) => q.violations)), 3), f(median(rr.map((q) => q.instanceMinutes)), 2), f(median(mine.map((s) => s.violationMinutes)), 0), f(median(mine.map((s) => s.costWithDowntime)), 1)];
  });
  const perColdStart = COLD_STARTS.flatMap((c) => [
    `### Cold start ${c} s${c === H ? " (headline)" : ""}`,
    "",
    checkTable(targetChecks(x.rows, x.timing, c)),
    "",
    "What a warm flip both ways would change (the same decisions with demotions in place too; local promotes in place but restarts a demoted instance):",
    "",
    checkTable(targetChecks(x.rows, x.timing, c, "understudy-warm")),
    "",
    "Pareto table: violation minutes / instance-minutes; the verdicts compare both at once (better = fewer of one and no more of the other).",
    "",
    paretoTable(x.rows, c),
    "",
    "Ratios (traces where reactive-hpa has no violation are left out of the violation ratios and their median, and listed as such):",
    "",
    ratioTable(x.rows, c),
    "",
  ]);
  return [
    "# Simulator benchmark",
    "",
    "Generated by `npm run bench:simulate`. Real NAB traces replayed on a virtual cluster. Every strategy reads the same signal —",
    "each live instance's offered utilisation (requests arriving / what it serves at 100 %, not capped at 1) and the load",
    `balancer's request rate — and sizes for the same target utilisation (${TARGET_UTILISATION * 100} %). Understudy's policy was tuned on`,
    `other traces (${TUNING_SERIES.map((s) => shortName(s.key)).join(", ")}; \`--tune\`), never on these.`,
    "",
    "## Targets and Pareto tables, per cold start",
    "",
    ...perColdStart,
    "## Every figure (all cold starts)",
    "",
    "Violation minutes: utilisation above the SLO (p99 over target) or above capacity (requests dropped). Cost: instance-hours ×",
    `$${PARAMS.pricePerHour}; with downtime: plus $${PARAMS.degradedCostPerMinute} per degraded and $${PARAMS.downtimeCostPerMinute} per down minute. Restarts: promotions and demotions the platform`,
    "carried out as a cold restart.",
    "",
    table(
      ["cold start s", "series", "strategy", "violation min", "of which down", "instance min", "cost $", "cost with downtime $", "scale actions", "cold starts", "restarts"],
      x.rows.map((row) => [
        String(row.coldStartSec),
        row.series,
        row.strategy,
        f(row.violationMinutes, 0),
        f(row.downMinutes, 0),
        f(row.instanceMinutes, 0),
        f(row.cost, 2),
        f(row.costWithDowntime, 1),
        String(row.scaleActions),
        String(row.coldStarts),
        String(row.restarts),
      ]),
    ),
    "",
    "## The cost model's trade-off",
    "",
    `The same tapes replayed at the headline cold start with other prices of a degraded minute in the policy (a down minute at 10×);`,
    "the cluster's own prices stay as above. Cheaper shortfalls mean fewer shadows.",
    "",
    table(["degraded $/min", "down $/min", "violations / reactive-hpa (median)", "inst. min / oracle (median)", "violation min (median)", "cost with downtime $ (median)"], sweepRows),
    "",
    "## Timing",
    "",
    `Understudy's forecasts are recorded once per trace (fits on the last ${REFIT.fitWindowSec / 86_400} days, refit every ${REFIT.minRefitDays} days or replay / ${REFIT.maxRefits}, whichever is`,
    "longer; update() with every point in between), then replayed; phpa fits and updates its own Holt-Winters model on its replica counts",
    "inside its replay. Replays at the headline cold start. Seconds as CPU time of the benchmark process (wall-clock in brackets: the machine is shared).",
    "",
    table(
      ["series", "replay days", "step", "points", "fits", `${x.understudyKind} tape s`, ...STRATEGIES.map((s) => `${s} replay s`), "understudy total s"],
      x.timing.map((t) => [t.series, f(t.replayDays, 1), `${t.stepSec / 60} min`, String(t.points), String(t.fits), secs(t.tape), ...STRATEGIES.map((s) => secs(t.replay[s])), secs(t.understudy)]),
    ),
    "",
    `Whole benchmark: ${f(x.elapsedSeconds, 0)} s wall-clock.`,
    "",
    "## Setup",
    "",
    `- Cluster: ${PARAMS.capacityPerInstance} req/s per instance at 100 %, M/M/1 per instance (SLO breached above ${PARAMS.sloUtilisation * 100} % utilisation), cold start`,
    `  ${COLD_STARTS.join(" / ")} s (headline ${H} s), then ${PARAMS.warmUpSec} s of warm-up from ${PARAMS.coldCapacityFraction * 100} % capacity (shadows warm up on mirrored traffic),`,
    `  mirroring adds ${PARAMS.mirrorOverhead * 100} % to the live path at 100 %, clock ${PARAMS.tickSec} s, demand linear between trace points.`,
    `- Promotion (local platform, as implemented): ${PARAMS.promotion.how}. Kubernetes today: ${PROMOTION.kubernetes.how}.`,
    `  understudy-warm: ${PROMOTION["warm-flip"].how}.`,
    "- Traces: each scaled so its peak is 12 instances at 100 %; the last ≤ 70 days are replayed, the ≤ 28 days before are history.",
    `- reactive-hpa: the Kubernetes HPA controller's algorithm, target ${HPA.targetUtilisation * 100} %, sync ${HPA.syncSec} s, ${HPA.tolerance * 100} % tolerance, ${HPA.scaleDownStabilisationSec} s scale-down`,
    `  stabilisation, scale-up ≤ max(${HPA.scaleUpPods} pods, ${HPA.scaleUpPercent} %) per sync, unready pods left out (0 % on a scale-up), pods without a metric 0 % up / 100 % down.`,
    "- phpa: the PHPA approach: the HPA's calculated replica counts as a series, Holt-Winters on that series (fitted on the history),",
    "  max of the calculated count and the median predicted count over a cold start + warm-up, then its 5-minute downscale stabilisation.",
    `- understudy: decide() every ${RUNNER_INTERVAL_SEC} s with ${x.understudyKind} forecasts; policy = defaults + ${JSON.stringify({ ...FIXED_OVERRIDES, ...TUNED_OVERRIDES })}.`,
    `- oracle: perfect foresight, instances launched a cold start + warm-up ahead and sized at ${TARGET_UTILISATION * 100} %.`,
    "",
    "## Plots (headline cold start)",
    "",
    ...x.plots.map((p) => `![${p}](simulate/${p})`),
    "",
  ].join("\n");
}

/** Bucket means, so a long replay fits a plot's width. */
function downsample(values: readonly number[], buckets: number): number[] {
  const size = Math.max(1, Math.ceil(values.length / buckets));
  const out: number[] = [];
  for (let i = 0; i < values.length; i += size) {
    const chunk = values.slice(i, i + size);
    out.push(chunk.reduce((a, b) => a + b, 0) / chunk.length);
  }
  return out;
}

export function plotSvg(series: string, timelines: Record<string, Timeline>): string {
  const any = timelines[STRATEGIES[0]];
  const width = 1100;
  const day = (t: number): string => new Date(t).toISOString().slice(0, 16).replace("T", " ");
  const chart: Chart = {
    title: `${series}: demand vs capacity (bucket means)`,
    width,
    xLabels: [day(any.t[0]), day(any.t[any.t.length - 1])],
    panels: [
      {
        title: "req/s: demand and live capacity at 100 %",
        height: 260,
        lines: [
          { label: "demand", color: "#000", values: downsample(any.demand, width) },
          ...STRATEGIES.map((s) => ({ label: s, color: COLORS[s], values: downsample(timelines[s].capacity, width) })),
        ],
      },
      {
        title: "instances (live + shadows + booting)",
        height: 160,
        lines: STRATEGIES.map((s) => ({ label: s, color: COLORS[s], values: downsample(timelines[s].instances, width), dashed: s === "oracle" })),
      },
    ],
  };
  return renderChart(chart);
}
