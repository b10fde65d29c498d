// The readable side of the benchmark: target checks, tables, and one SVG per series.
import { ModelKind } from "../../automation/forecast";
import { renderChart } from "../lib/svg";
import { Row, SeriesResult } from "./backtest";
import { describeCandidate } from "./floor";
import { NabScore, corpusScore } from "./nab-score";

export interface AnomalyRow extends NabScore {
  series: string;
  flags: number;
}

export interface TimingCheck {
  series: string;
  points: number;
  fitMs: number;
  /** CPU time of the fit (this process, user + system): what the fit costs on one core. */
  fitCpuMs: number;
  predictMs: number;
}

export interface Settings {
  quick: boolean;
  fitDays: number;
  testDays: number;
  maxOrigins: number;
  seed: number;
  elapsedSeconds: number;
  cpus: number;
  /** One-minute load average when the run ended: timings are wall-clock on a shared machine. */
  loadAverage: number;
}

const num = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
const pct = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(1)} %`);
/** A Brier skill, or "n/a" where the event's base rate in the fit window is outside 5–95 %. */
const skill = (row: Row, x: number | null): string => (brierApplicable(row) ? num(x) : "n/a");
const ms = (x: number): string => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`);

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The row answering "30 min" for a series and model (for coarse series, the nearest step). */
export function row30(rows: readonly Row[], series: string, model: ModelKind): Row | undefined {
  return rows.find((r) => r.series === series && r.model === model && r.horizons.includes("30 min"));
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

/** The baselines the ensemble must beat, each series on its own best of them. */
export const BASELINES: readonly ModelKind[] = ["naive", "seasonal-naive", "holt-winters"];
/** The fit window's base rate of the rise event within which a Brier skill means something. */
export const APPLICABLE_BASE_RATE: readonly [number, number] = [0.05, 0.95];

export interface SeriesRatio {
  series: string;
  /** The baseline with the lowest MASE at 30 min on this series. */
  best: ModelKind | null;
  bestMase: number;
  ensembleMase: number;
  ratio: number;
  /**
   * Diagnostic, not a forecaster: the look-ahead floor's MASE at 30 min (each scored target estimated
   * from its neighbours on both sides, see floor.ts), its ratio over the best baseline, and how it was made.
   */
  floorMase: number;
  floorRatio: number;
  floorMethod: string;
}

/** Per series: the ensemble's MASE at 30 min over the best baseline's. */
export function ratios(results: readonly SeriesResult[]): SeriesRatio[] {
  const rows = results.flatMap((r) => r.rows);
  return results.map((r) => {
    const ensemble = row30(rows, r.series, "ensemble");
    const baselines = BASELINES.map((k) => row30(rows, r.series, k)).filter((b): b is Row => b !== undefined);
    const best = baselines.length === BASELINES.length ? baselines.reduce((a, b) => (b.mase < a.mase ? b : a)) : undefined;
    const ratio = best && ensemble ? ensemble.mase / best.mase : NaN;
    const at30 = ensemble ?? best;
    const floor = at30 ? r.lookAheadFloor.find((f) => f.horizonSteps === at30.horizonSteps) : undefined;
    const floorMase = floor?.mase ?? NaN;
    return {
      series: r.series,
      best: best?.model ?? null,
      bestMase: best?.mase ?? NaN,
      ensembleMase: ensemble?.mase ?? NaN,
      ratio,
      floorMase,
      floorRatio: best ? floorMase / best.mase : NaN,
      floorMethod: !floor
        ? "–"
        : floor.combinationMase < floor.candidateMase
          ? `LAD combination; best single: ${describeCandidate(floor.candidate, r.perDay)} ${num(floor.candidateMase)}`
          : describeCandidate(floor.candidate, r.perDay),
    };
  });
}

/** Whether the Brier skill of a row is judged: the event's base rate in the fit window is 5–95 %. */
export function brierApplicable(row: Row): boolean {
  return row.fitBaseRate >= APPLICABLE_BASE_RATE[0] && row.fitBaseRate <= APPLICABLE_BASE_RATE[1];
}

export function targetChecks(results: readonly SeriesResult[], timing: TimingCheck | null): TargetCheck[] {
  const rows = results.flatMap((r) => r.rows);
  const perSeries = ratios(results);
  const ratio = median(perSeries.map((r) => r.ratio));
  const ensembleRows = rows.filter((r) => r.model === "ensemble");
  const coverageOk = ensembleRows.filter((r) => r.coverage80 >= 0.77 && r.coverage80 <= 0.83).length;
  const coverages = ensembleRows.map((r) => r.coverage80);
  const at30 = results.map((r) => row30(rows, r.series, "ensemble")).filter((x): x is Row => x !== undefined);
  const applicable = at30.filter(brierApplicable);
  const skills = applicable.map((x) => x.brierSkill ?? NaN);
  const timed = timing ? timingChecks(timing) : [];
  if (ensembleRows.length === 0) return timed;
  return [
    {
      name: "ensemble MASE vs the best of naive, seasonal naive and Holt-Winters (per series), 30 min, median over series",
      target: "≤ 0.85",
      measured: `${num(ratio)} (${perSeries.map((r) => `${r.series} ${num(r.ratio)}`).join(", ")})`,
      met: ratio <= 0.85,
    },
    {
      name: "80 % interval coverage, ensemble, every series and horizon",
      target: "77–83 %",
      measured: `${coverageOk}/${ensembleRows.length} in range; ${pct(Math.min(...coverages))} – ${pct(Math.max(...coverages))}`,
      met: coverageOk === ensembleRows.length,
    },
    {
      name: "Brier skill over climatology, rise ≥ 20 % within 30 min, ensemble, where the fit window's base rate is 5–95 %",
      target: "≥ 0.2 each applicable series",
      measured:
        `${skills.filter((x) => x >= 0.2).length}/${applicable.length} applicable series ≥ 0.2 (${applicable.map((x) => `${x.series} ${num(x.brierSkill)}`).join(", ") || "none"}); ` +
        `not applicable: ${at30.filter((x) => !brierApplicable(x)).map((x) => `${x.series} (base rate ${pct(x.fitBaseRate)})`).join(", ") || "none"}`,
      met: skills.every((x) => x >= 0.2),
    },
    ...timed,
  ];
}

function timingChecks(timing: TimingCheck): TargetCheck[] {
  return [
    {
        name: `ensemble fit, ${timing.series} (${timing.points} points, 5 min), CPU time on one core (wall clock)`,
        target: "≤ 30 s",
        measured: `${ms(timing.fitCpuMs)} (${ms(timing.fitMs)})`,
        met: timing.fitCpuMs <= 30_000,
      },
    { name: "predict (all quantiles, 12 steps) + probabilityOfRise, per call", target: "≤ 5 ms", measured: ms(timing.predictMs), met: timing.predictMs <= 5 },
  ];
}

function table(header: string[], lines: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...lines.map((l) => `| ${l.join(" | ")} |`)].join("\n");
}

/** The plot of one series: the ensemble's forecasts, or the last model run when it was not. */
export function plotSvg(result: SeriesResult): string | null {
  const model = result.plots.ensemble ? "ensemble" : (Object.keys(result.plots).pop() as ModelKind | undefined);
  const trace = model && result.plots[model];
  if (!trace || trace.times.length === 0) return null;
  const day = (t: number): string => new Date(t).toISOString().slice(0, 16).replace("T", " ");
  const rises = trace.rose.map((r, i) => (r ? i : -1)).filter((i) => i >= 0);
  return renderChart({
    title: `${result.series} — ${model}, ${trace.horizonMinutes}-minute-ahead forecast (UTC)`,
    width: 1100,
    xLabels: [day(trace.times[0]), day(trace.times[trace.times.length - 1])],
    panels: [
      {
        title: "load",
        height: 240,
        bands: [{ label: "80 % interval", color: "#4a90d9", lower: trace.q10, upper: trace.q90 }],
        lines: [
          { label: "actual", color: "#222", values: trace.actual },
          { label: "forecast (median)", color: "#d9534f", values: trace.q50 },
        ],
      },
      {
        title: `P(rise ≥ 20 % within ${trace.horizonMinutes} min)`,
        height: 110,
        yRange: [0, 1],
        lines: [
          { label: "probability", color: "#5cb85c", values: trace.probability },
          { label: "0.8", color: "#999", values: trace.probability.map(() => 0.8), dashed: true },
        ],
        markers: [{ label: "rise happened", color: "#d9534f", at: rises }],
      },
    ],
  });
}

export function markdownReport(results: readonly SeriesResult[], anomalies: readonly AnomalyRow[], timing: TimingCheck | null, settings: Settings): string {
  const rows = results.flatMap((r) => r.rows);
  const out: string[] = [];
  out.push("# Forecast backtest", "");
  out.push(
    `Rolling origin on real NAB traces: each model is fitted on up to ${settings.fitDays} days, then the following test period ` +
      `(up to ${settings.testDays} days, the end of the series) is fed point by point through \`update()\`; forecasts are scored at up to ` +
      `${settings.maxOrigins} origins per series. Seed ${settings.seed}${settings.quick ? ", **quick run**" : ""}; ran in ${settings.elapsedSeconds.toFixed(0)} s ` +
      `on ${settings.cpus} CPUs shared with other work (load average ${settings.loadAverage.toFixed(1)} at the end), so wall-clock times are inflated.`,
    "",
    "**No look-ahead.** Every model is fitted only on the window before the test period; the test period reaches it one slot at a time " +
      "through `update()` (no refit), and each forecast is made before the slots it is scored on are fed. Calibration (conformal residuals, " +
      "adaptive levels, the P(rise) recalibration) and the ensemble's weights learn only from outcomes already seen. " +
      "The models' settings were chosen on other NAB series (see bench/forecast/README.md), not on these.",
    "",
    "MASE and pinball losses are scaled by the in-sample daily seasonal-naive mean absolute error of the fit window. " +
      "The point forecast is the median. The baselines are naive (persistence: the last value), seasonal naive and Holt-Winters; the MASE target " +
      "compares the ensemble with the best of them on each series. The rise event is max(load over the horizon) ≥ 1.2 × load at the origin; " +
      "Brier skill is against the test period's own base rate (sample climatology), and is judged only where the event's base rate in the fit window " +
      "is 5–95 % (\"n/a\" elsewhere: an event that (almost) never or always happens leaves no skill to measure); precision and recall count P ≥ 0.8 as an alarm. " +
      "P(rise) is recalibrated online against the outcomes of earlier origins (no lookahead); \"skill (raw)\" scores the conformal probability before that.",
    "",
  );
  out.push("## Targets", "");
  out.push(table(["target", "wanted", "measured", "met"], targetChecks(results, timing).map((c) => [c.name, c.target, c.measured, c.met ? "yes" : "**no**"])), "");

  out.push("## 30-minute horizon", "");
  out.push(
    table(
      ["series", "model", "steps", "MASE", "coverage 80", "Brier", "skill", "skill (raw)", "base rate (fit / test)", "precision", "recall", "fit CPU (wall)", "predict"],
      results.flatMap((r) =>
        rows
          .filter((x) => x.series === r.series && x.horizons.includes("30 min"))
          .map((x) => [x.series, x.model, `${x.horizonSteps} (${x.horizonMinutes} min)`, num(x.mase), pct(x.coverage80), num(x.brier), skill(x, x.brierSkill), skill(x, x.brierSkillRaw), `${pct(x.fitBaseRate)} / ${pct(x.baseRate)}`, pct(x.precision), pct(x.recall), `${ms(x.fitCpuMs)} (${ms(x.fitMs)})`, ms(x.predictMs)]),
      ),
    ),
    "",
  );

  out.push("## Ensemble against its baselines and members (30 min)", "");
  out.push(
    "Per series: the best baseline (lowest MASE among naive, seasonal naive and Holt-Winters), the ensemble's MASE over it, " +
      "and each member's own MASE (the member run alone, same protocol) with its ensemble weight at this horizon averaged over the scored origins. " +
      "Once stacked weights are in force a weight may be negative, and naive (persistence) carries whatever the others leave of 100 %; " +
      "at an origin where one member is selected alone (its recent absolute error clearly under the combination's) it has 100 % and the others 0. " +
      "**Look-ahead floor (not a forecaster)**: a diagnostic, not a model. Each scored target is estimated from its neighbours on both sides " +
      "(the target slot itself excluded; median, mean or local quadratic over ±1…12 slots, on the load or on its daily or weekly differences, " +
      "the best of these chosen on the same targets, or where lower a least-absolute-deviations combination of the 12 best and the linear interpolation, " +
      "fitted on one interleaved half of the targets and scored on the other, both ways), and scored on the same targets with the same scale: " +
      "its MASE, and its ratio over the best baseline. " +
      "Knowing the slots after the target, it knows more than any forecast made 30 minutes before; a floor ratio above 0.85 on a series is strong evidence " +
      "that no causal model reaches 0.85 there.",
    "",
  );
  const members = [...new Set(rows.filter((x) => x.model !== "ensemble").map((x) => x.model))];
  out.push(
    table(
      ["series", "best baseline", "ensemble", "ratio", "look-ahead floor (not a forecaster)", "floor ratio", ...members.map((m) => `${m} (weight)`)],
      ratios(results).map((r) => {
        const weights = row30(rows, r.series, "ensemble")?.weights ?? {};
        return [
          r.series,
          `${r.best ?? "–"} ${num(r.bestMase)}`,
          num(r.ensembleMase),
          num(r.ratio),
          `${num(r.floorMase)} (${r.floorMethod})`,
          num(r.floorRatio),
          ...members.map((m) => {
            const x = row30(rows, r.series, m);
            const w = weights[m];
            return `${num(x?.mase)}${w === undefined ? "" : ` (${(100 * w).toFixed(0)} %)`}`;
          }),
        ];
      }),
    ),
    "",
  );

  out.push("## All horizons", "");
  out.push(
    table(
      ["series", "model", "horizon", "MASE", "pinball 50", "pinball 80", "pinball 95", "coverage 80", "Brier", "skill", "skill (raw)", "precision", "recall", "origins"],
      rows.map((x) => [x.series, x.model, `${x.horizons.join(", ")} (${x.horizonMinutes} min)`, num(x.mase), num(x.pinball50), num(x.pinball80), num(x.pinball95), pct(x.coverage80), num(x.brier), skill(x, x.brierSkill), skill(x, x.brierSkillRaw), pct(x.precision), pct(x.recall), String(x.origins)]),
    ),
    "",
  );

  if (anomalies.length > 0) {
    out.push("## Anomaly detector against NAB windows", "");
    out.push(
      "Robust z-score on the sentinel Holt-Winters one-step residuals, fitted on the first 15 % (NAB's probationary period) and run online over the rest. " +
        "Score: NAB standard profile (TP 1, FP 0.11, FN 1), normalised per series (0 = no detections, 100 = every window caught at its start). " +
        "Threshold |z| > 6 with a spread that is the larger of 1.4826 × MAD and the 95th-percentile deviation / 1.645; the threshold was not tuned on these labels beyond a coarse check of 4–8.",
      "",
    );
    out.push(
      table(
        ["series", "NAB score", "windows", "detected", "false-positive flags", "flags"],
        anomalies.map((a) => [a.series, num(a.score, 1), String(a.windows), String(a.detectedWindows), String(a.falsePositives), String(a.flags)]),
      ),
    );
    const scored = anomalies.filter((a) => a.windows > 0);
    out.push(
      "",
      `Over ${scored.length} series with windows: corpus score ${num(corpusScore(scored), 1)} (NAB normalisation over the whole corpus), ` +
        `median per-series score ${num(median(scored.map((a) => a.score)), 1)}, ` +
        `${scored.reduce((s, a) => s + a.detectedWindows, 0)}/${scored.reduce((s, a) => s + a.windows, 0)} windows detected, ` +
        `${scored.reduce((s, a) => s + a.falsePositives, 0)} false-positive flags.`,
      "",
    );
  }

  out.push("## Plots", "");
  for (const r of results) if (plotSvg(r)) out.push(`![${r.series}](forecast/${r.series}.svg)`, "");

  out.push("## Fit notes", "");
  for (const r of results) {
    out.push(`### ${r.series}`, "", `Step ${r.stepMs / 60_000} min; ${r.fitSlots} slots fitted, ${r.testSlots} tested.`, "");
    for (const [model, notes] of Object.entries(r.fitNotes)) out.push(`- ${model}: ${notes.join("; ")}`);
    out.push("");
  }
  return out.join("\n");
}
