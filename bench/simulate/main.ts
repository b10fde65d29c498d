// `npm run bench:simulate [-- --series file.csv ...] [-- --forecaster ensemble] [-- --tune]`
// Replays the evaluation NAB traces (or the given CSVs) on the virtual cluster with reactive-hpa, phpa,
// understudy (the local platform: warm promotion, cold demotion), understudy-warm (a warm flip both ways)
// and oracle at each cold start, and writes
// bench/results/simulate.json, simulate.md and one SVG per series under bench/results/simulate/.
// Prints the target checks. --tune runs the policy grid on the tuning traces instead
// (bench/results/simulate-tuning.json and .md).
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ModelKind, parseSeriesCsv } from "../../automation/forecast";
import { progressBar } from "../lib/progress";
import { SeriesSpec, shortName } from "../forecast/series";
import { markdownReport, plotSvg, ratios, targetChecks } from "./report";
import { PreparedSeries, SeriesRun, prepareSeries, runSeries } from "./run";
import { COLD_STARTS, EVALUATION_SERIES, FIXED_OVERRIDES, HPA, PARAMS, REFIT, RUNNER_INTERVAL_SEC, TARGET_UTILISATION, TUNED_OVERRIDES, TUNING_SERIES } from "./setup";
import { best, gridPoints, tune, tuningReport } from "./tune";

const ROOT = path.resolve(__dirname, "../../..");
const NAB_DIR = process.env.NAB_DIR ?? path.resolve(ROOT, "../shared/data/nab");
const RESULTS = path.join(ROOT, "bench/results");
const KINDS: ModelKind[] = ["seasonal-naive", "holt-winters", "lstm", "ensemble"];

function prepare(spec: SeriesSpec, kind: ModelKind): PreparedSeries {
  const file = path.isAbsolute(spec.key) ? spec.key : path.join(NAB_DIR, "data", spec.key);
  return prepareSeries(shortName(spec.key), parseSeriesCsv(fs.readFileSync(file, "utf8"), file), { seed: 42, timeZone: spec.timeZone, events: spec.events }, kind);
}

function runTuning(specs: SeriesSpec[], kind: ModelKind, started: bigint): void {
  const forecasts = progressBar(specs.length);
  const series = specs.map((spec) => {
    const prepared = prepare(spec, kind);
    forecasts.tick(`forecasts ${prepared.name}`);
    return prepared;
  });
  forecasts.done();
  const grid = progressBar(gridPoints().length);
  const results = tune(series, () => grid.tick("grid point"));
  grid.done();
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  fs.writeFileSync(path.join(RESULTS, "simulate-tuning.json"), `${JSON.stringify({ best: best(results), results, settings: { params: PARAMS, forecaster: kind, elapsedSeconds } }, null, 2)}\n`);
  fs.writeFileSync(path.join(RESULTS, "simulate-tuning.md"), tuningReport(results));
  const top = best(results);
  process.stdout.write(`\nbest ${JSON.stringify(top.point)} score ${top.score.toFixed(3)}; setup.ts holds ${JSON.stringify(TUNED_OVERRIDES)}\n`);
  process.stdout.write(`${elapsedSeconds.toFixed(0)} s; bench/results/simulate-tuning.md\n`);
}

function main(): void {
  const { values } = parseArgs({ options: { series: { type: "string", multiple: true }, forecaster: { type: "string", default: "ensemble" }, tune: { type: "boolean", default: false } } });
  const kind = values.forecaster as ModelKind;
  if (!KINDS.includes(kind)) throw new Error(`--forecaster must be one of ${KINDS.join(", ")}, got ${kind}`);
  const given: SeriesSpec[] | undefined = values.series?.map((file) => ({ key: path.resolve(file) }));
  const leaked = EVALUATION_SERIES.filter((e) => TUNING_SERIES.some((t) => t.key === e.key));
  if (leaked.length > 0) throw new Error(`bench/simulate/setup.ts: ${leaked.map((s) => s.key).join(", ")} is both a tuning and an evaluation trace; keep the subsets apart`);
  fs.mkdirSync(path.join(RESULTS, "simulate"), { recursive: true });
  const started = process.hrtime.bigint();
  if (values.tune) {
    runTuning(given ?? TUNING_SERIES, kind, started);
    return;
  }
  const specs = given ?? EVALUATION_SERIES;
  const progress = progressBar(specs.length);
  const runs: SeriesRun[] = [];
  const plots: string[] = [];
  for (const spec of specs) {
    const prepared = prepare(spec, kind);
    const run = runSeries(prepared);
    runs.push(run);
    fs.writeFileSync(path.join(RESULTS, "simulate", `${prepared.name}.svg`), plotSvg(prepared.name, run.timelines));
    plots.push(`${prepared.name}.svg`);
    progress.tick(prepared.name);
  }
  progress.done();
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rows = runs.flatMap((r) => r.rows);
  const sweep = runs.flatMap((r) => r.sweep);
  const timing = runs.map((r) => r.timing);
  const checks = targetChecks(rows, timing, PARAMS.coldStartSec);
  const byColdStart = Object.fromEntries(COLD_STARTS.map((c) => [c, { understudy: targetChecks(rows, timing, c), understudyWarm: targetChecks(rows, timing, c, "understudy-warm") }]));
  fs.writeFileSync(
    path.join(RESULTS, "simulate.json"),
    `${JSON.stringify(
      {
        rows,
        targets: checks,
        targetsByColdStart: byColdStart,
        ratios: ratios(rows, PARAMS.coldStartSec),
        sweep,
        timing,
        settings: {
          params: PARAMS,
          coldStarts: COLD_STARTS,
          targetUtilisation: TARGET_UTILISATION,
          hpa: HPA,
          runnerIntervalSec: RUNNER_INTERVAL_SEC,
          policyOverrides: { ...FIXED_OVERRIDES, ...TUNED_OVERRIDES },
          tuningSeries: TUNING_SERIES.map((s) => s.key),
          evaluationSeries: specs.map((s) => s.key),
          refit: REFIT,
          forecaster: kind,
          elapsedSeconds,
        },
      },
      null,
      2,
    )}\n`,
  );
  fs.writeFileSync(path.join(RESULTS, "simulate.md"), markdownReport({ rows, sweep, timing, understudyKind: kind, elapsedSeconds, plots }));
  for (const r of rows) {
    process.stdout.write(
      `${String(r.coldStartSec).padStart(3)} s ${r.series.padEnd(28)} ${r.strategy.padEnd(16)} violations ${r.violationMinutes.toFixed(0).padStart(6)} min  instance-min ${r.instanceMinutes.toFixed(0).padStart(8)}  with downtime $${r.costWithDowntime.toFixed(1).padStart(9)}\n`,
    );
  }
  for (const c of checks) process.stdout.write(`${c.met ? "met    " : "NOT MET"} ${c.name}: ${c.value} (target ${c.target})\n`);
  process.stdout.write(`${elapsedSeconds.toFixed(0)} s; bench/results/simulate.md\n`);
}

main();
