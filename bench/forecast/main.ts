// `npm run bench:forecast [-- --quick] [-- --tune] [-- --series file.csv ...] [-- --models a,b]`
// Backtests the forecasters on real traces, scores the anomaly detector against NAB's windows, times
// fit and predict, and writes bench/results/forecast.json, forecast-details.json, forecast.md and one
// SVG per series under bench/results/forecast/.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ModelKind, createForecaster, detectAnomalies, parseSeriesCsv } from "../../automation/forecast";
import { progressBar } from "../lib/progress";
import { BacktestConfig, SeriesResult, backtestSeries } from "./backtest";
import { nabScore } from "./nab-score";
import { AnomalyRow, Settings, TimingCheck, brierApplicable, markdownReport, median, plotSvg, ratios, row30, targetChecks } from "./report";
import { NAB_SERIES, SeriesSpec, TUNING_SERIES, shortName } from "./series";

const ROOT = path.resolve(__dirname, "../../..");
const NAB_DIR = process.env.NAB_DIR ?? path.resolve(ROOT, "../shared/data/nab");
const RESULTS = path.join(ROOT, "bench/results");
const KINDS: ModelKind[] = ["naive", "seasonal-naive", "holt-winters", "regression", "lstm", "daily-profile", "local-median", "boosted-trees", "ensemble"];
/** The fit-time target's series: two weeks at 5-minute steps. */
const TIMING_SERIES = "realAWSCloudwatch/elb_request_count_8c0756.csv";

function readSeries(file: string): ReturnType<typeof parseSeriesCsv> {
  return parseSeriesCsv(fs.readFileSync(file, "utf8"), file);
}

const nabFile = (key: string): string => path.join(NAB_DIR, "data", key);

function loadWindows(): Record<string, [number, number][]> {
  const file = path.join(NAB_DIR, "labels", "combined_windows.json");
  if (!fs.existsSync(file)) return {};
  const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, [string, string][]>;
  const utc = (s: string): number => Date.parse(`${s.replace(" ", "T").replace(/\.\d+$/, "")}Z`);
  return Object.fromEntries(Object.entries(raw).map(([k, ws]) => [k, ws.map(([a, b]): [number, number] => [utc(a), utc(b)])]));
}

function timingCheck(): TimingCheck | null {
  const file = nabFile(TIMING_SERIES);
  if (!fs.existsSync(file)) return null;
  const points = readSeries(file);
  const forecaster = createForecaster("ensemble", { seed: 1 });
  const cpu = process.cpuUsage();
  let started = performance.now();
  forecaster.fit(points);
  const fitMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const calls = 200;
  started = performance.now();
  for (let i = 0; i < calls; i++) {
    forecaster.predict(12);
    forecaster.probabilityOfRise(0.2, 6);
  }
  return { series: shortName(TIMING_SERIES), points: points.length, fitMs, fitCpuMs: (user + system) / 1000, predictMs: (performance.now() - started) / calls };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      tune: { type: "boolean", default: false },
      series: { type: "string", multiple: true, default: [] },
      models: { type: "string", default: KINDS.join(",") },
    },
  });
  const quick = values.quick ?? false;
  const given = values.series ?? [];
  const kinds = (values.models ?? "").split(",").filter((k): k is ModelKind => (KINDS as string[]).includes(k));
  if (kinds.length === 0) throw new Error(`--models must list some of ${KINDS.join(", ")}`);
  const tune = values.tune ?? false;
  if (tune && given.length > 0) throw new Error("--tune and --series are exclusive");
  const specs: (SeriesSpec & { file: string })[] =
    given.length > 0 ? given.map((f) => ({ key: f, file: path.resolve(f) })) : (tune ? TUNING_SERIES : NAB_SERIES).map((s) => ({ ...s, file: nabFile(s.key) }));
  const config: BacktestConfig = {
    kinds,
    fitDays: quick ? 14 : 28,
    testDays: quick ? 4 : 14,
    maxOrigins: quick ? 300 : 1500,
    horizonsMinutes: [30, 60],
    rise: 0.2,
    threshold: 0.8,
    seed: 42,
    plotDays: 3,
    // A quick run is a smoke test: one LSTM network instead of three.
    lstm: quick ? { networks: 1 } : undefined,
  };
  const windows = loadWindows();
  const anomalyKeys = given.length > 0 ? given.filter((k) => windows[k]) : quick || tune ? specs.map((s) => s.key) : Object.keys(windows).filter((k) => k.startsWith("real"));
  const started = Date.now();
  const progress = progressBar(specs.length * kinds.length + anomalyKeys.length + 1);

  const results: SeriesResult[] = [];
  for (const spec of specs) {
    const name = shortName(spec.key);
    results.push(backtestSeries({ name, points: readSeries(spec.file), timeZone: spec.timeZone, events: spec.events }, config, (kind) => progress.tick(`${name} ${kind}`)));
  }

  const anomalies: AnomalyRow[] = [];
  for (const key of anomalyKeys) {
    const spec = specs.find((s) => s.key === key);
    const scan = detectAnomalies(readSeries(spec?.file ?? nabFile(key)), { timeZone: spec?.timeZone, events: spec?.events });
    const flags = scan.slots.map((s) => s.anomaly);
    const score = nabScore(
      scan.slots.map((s) => s.t),
      flags,
      windows[key] ?? [],
    );
    anomalies.push({ series: shortName(key), flags: flags.filter(Boolean).length, ...score });
    progress.tick(`anomalies ${shortName(key)}`);
  }

  // The fit-time target is measured on an evaluation series; a tuning run leaves it out.
  const timing = given.length > 0 || tune ? null : timingCheck();
  progress.tick("fit/predict timing");
  progress.done();

  const settings: Settings = {
    quick,
    fitDays: config.fitDays,
    testDays: config.testDays,
    maxOrigins: config.maxOrigins,
    seed: config.seed,
    elapsedSeconds: (Date.now() - started) / 1000,
    cpus: os.cpus().length,
    loadAverage: os.loadavg()[0],
  };
  const rows = results.flatMap((r) => r.rows);
  const plots = path.join(RESULTS, "forecast");
  fs.mkdirSync(plots, { recursive: true });
  // Plots of series no longer in the run would be stale.
  for (const f of fs.readdirSync(plots)) if (f.endsWith(".svg")) fs.rmSync(path.join(plots, f));
  fs.writeFileSync(path.join(RESULTS, "forecast.json"), JSON.stringify(rows, null, 1));
  fs.writeFileSync(
    path.join(RESULTS, "forecast-details.json"),
    JSON.stringify(
      { settings, targets: targetChecks(results, timing), ensembleVsBaselines: ratios(results), timing, anomalies, series: results.map(({ rows: _rows, plots: _plots, ...rest }) => rest) },
      null,
      1,
    ),
  );
  for (const r of results) {
    const svg = plotSvg(r);
    if (svg) fs.writeFileSync(path.join(plots, `${r.series}.svg`), svg);
  }
  fs.writeFileSync(path.join(RESULTS, "forecast.md"), markdownReport(results, anomalies, timing, settings));

  const pad = (s: string, n: number): string => s.padEnd(n);
  console.log(`\n${pad("series", 30)}${pad("model", 16)}${pad("MASE@30m", 10)}${pad("cov80", 8)}${pad("skill", 8)}${pad("fit", 10)}predict`);
  for (const r of results) {
    for (const kind of kinds) {
      const x = row30(rows, r.series, kind);
      if (!x) continue;
      console.log(`${pad(r.series, 30)}${pad(kind, 16)}${pad(x.mase.toFixed(3), 10)}${pad((100 * x.coverage80).toFixed(1), 8)}${pad(!brierApplicable(x) ? "n/a" : x.brierSkill === null ? "–" : x.brierSkill.toFixed(3), 8)}${pad(`${(x.fitMs / 1000).toFixed(1)}s`, 10)}${x.predictMs.toFixed(2)}ms`);
    }
  }
  console.log("");
  for (const c of targetChecks(results, timing)) console.log(`${c.met ? "met " : "MISS"}  ${c.name}: ${c.measured} (target ${c.target})`);
  const perSeries = ratios(results);
  if (perSeries.some((r) => Number.isFinite(r.floorRatio))) {
    console.log(`look-ahead floor (not a forecaster), ratio over the best baseline at 30 min, median ${median(perSeries.map((r) => r.floorRatio)).toFixed(3)}:`);
    for (const r of perSeries) console.log(`  ${pad(r.series, 30)}ensemble ${r.ratio.toFixed(3)}  floor ${r.floorRatio.toFixed(3)} (${r.floorMethod})`);
  }
  if (anomalies.length > 0) console.log(`anomaly detector: ${anomalies.filter((a) => a.windows > 0).length} series scored, see forecast.md`);
  console.log(`\nwrote ${path.relative(ROOT, RESULTS)}/forecast.json, forecast-details.json, forecast.md, forecast/*.svg in ${settings.elapsedSeconds.toFixed(0)} s`);
}

main();
