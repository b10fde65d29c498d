// `npm run bench:simulate [-- --series file.csv ...] [-- --forecaster holt-winters]`
// Replays NAB traces (or the given CSVs) on the virtual cluster with reactive-hpa, holt-winters,
// understudy and oracle, and writes bench/results/simulate.json, simulate.md and one SVG per series
// under bench/results/simulate/. Prints the target checks.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ModelKind, parseSeriesCsv } from "../../automation/forecast";
import { progressBar } from "../lib/progress";
import { SeriesSpec, shortName } from "../forecast/series";
import { markdownReport, plotSvg, ratios, targetChecks } from "./report";
import { SeriesRun, runSeries } from "./run";
import { HPA, PARAMS, POLICY_OVERRIDES, REFIT, SERIES, benchPolicy } from "./setup";

const ROOT = path.resolve(__dirname, "../../..");
const NAB_DIR = process.env.NAB_DIR ?? path.resolve(ROOT, "../shared/data/nab");
const RESULTS = path.join(ROOT, "bench/results");
const KINDS: ModelKind[] = ["seasonal-naive", "holt-winters", "lstm", "ensemble"];

function main(): void {
  const { values } = parseArgs({ options: { series: { type: "string", multiple: true }, forecaster: { type: "string", default: "ensemble" } } });
  const kind = values.forecaster as ModelKind;
  if (!KINDS.includes(kind)) throw new Error(`--forecaster must be one of ${KINDS.join(", ")}, got ${kind}`);
  const specs: SeriesSpec[] = values.series?.map((file) => ({ key: path.resolve(file) })) ?? SERIES;
  const started = process.hrtime.bigint();
  const progress = progressBar(specs.length);
  const runs: SeriesRun[] = [];
  fs.mkdirSync(path.join(RESULTS, "simulate"), { recursive: true });
  const plots: string[] = [];
  for (const spec of specs) {
    const file = path.isAbsolute(spec.key) ? spec.key : path.join(NAB_DIR, "data", spec.key);
    const name = shortName(spec.key);
    const run = runSeries(name, parseSeriesCsv(fs.readFileSync(file, "utf8"), file), { seed: 42, timeZone: spec.timeZone, events: spec.events }, kind);
    runs.push(run);
    fs.writeFileSync(path.join(RESULTS, "simulate", `${name}.svg`), plotSvg(name, run.timelines));
    plots.push(`${name}.svg`);
    progress.tick(name);
  }
  progress.done();
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rows = runs.flatMap((r) => r.rows);
  const sweep = runs.flatMap((r) => r.sweep);
  const timing = runs.map((r) => r.timing);
  const checks = targetChecks(rows, timing);
  fs.writeFileSync(
    path.join(RESULTS, "simulate.json"),
    `${JSON.stringify({ rows, targets: checks, ratios: ratios(rows), sweep, timing, settings: { params: PARAMS, hpa: HPA, policy: benchPolicy(), policyOverrides: POLICY_OVERRIDES, refit: REFIT, forecaster: kind, elapsedSeconds } }, null, 2)}\n`,
  );
  fs.writeFileSync(path.join(RESULTS, "simulate.md"), markdownReport({ rows, sweep, timing, understudyKind: kind, elapsedSeconds, plots }));
  for (const r of rows) {
    process.stdout.write(`${r.series.padEnd(28)} ${r.strategy.padEnd(13)} violations ${r.violationMinutes.toFixed(0).padStart(6)} min  cost $${r.cost.toFixed(2).padStart(8)}  with downtime $${r.costWithDowntime.toFixed(1).padStart(9)}\n`);
  }
  for (const c of checks) process.stdout.write(`${c.met ? "met    " : "NOT MET"} ${c.name}: ${c.value.toFixed(3)} (target ${c.target})\n`);
  process.stdout.write(`${elapsedSeconds.toFixed(0)} s; bench/results/simulate.md\n`);
}

main();
