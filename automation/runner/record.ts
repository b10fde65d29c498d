// Record: every tick appends one JSON line (inputs, forecast, action, reason, cost) and updates the
// runner's own Prometheus metrics.
import * as fs from "node:fs";
import * as path from "node:path";
import * as client from "prom-client";

export interface TickRecord {
  at: string;
  clock: number;
  dryRun: boolean;
  held: string[];
  loads: Record<string, number | undefined>;
  forecasts: Record<string, { pRise: number; upper: number; currentLoad: number; note: string } | undefined>;
  changes: unknown[];
  reasons: string[];
  cost: unknown;
  apply?: unknown;
  error?: string;
  tickMs: number;
}

export function appendRecord(logFile: string, r: TickRecord): void {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.appendFileSync(logFile, JSON.stringify(r) + "\n");
}

export function readRecords(logFile: string, last: number): TickRecord[] {
  if (!fs.existsSync(logFile)) return [];
  const lines = fs.readFileSync(logFile, "utf8").trim().split("\n").filter(Boolean);
  return lines.slice(-last).map((l, i) => {
    try {
      return JSON.parse(l) as TickRecord;
    } catch {
      throw new Error(`${logFile}: line ${lines.length - Math.min(last, lines.length) + i + 1} is not JSON; the decision log is damaged there`);
    }
  });
}

export class RunnerMetrics {
  readonly registry = new client.Registry();
  readonly ticks = new client.Counter({ name: "understudy_runner_ticks_total", help: "Ticks run, by outcome", labelNames: ["outcome"], registers: [this.registry] });
  readonly tickSeconds = new client.Histogram({ name: "understudy_runner_tick_seconds", help: "Duration of one tick", buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60], registers: [this.registry] });
  readonly upSeconds = new client.Histogram({ name: "understudy_runner_up_seconds", help: "Duration of the stack update a tick ran", buckets: [1, 2, 5, 10, 30, 60, 120], registers: [this.registry] });
  readonly pRise = new client.Gauge({ name: "understudy_forecast_rise_probability", help: "P(load rises ≥ r within H)", labelNames: ["service"], registers: [this.registry] });
  readonly upper = new client.Gauge({ name: "understudy_forecast_upper_rps", help: "Upper quantile of the load forecast over the horizon", labelNames: ["service"], registers: [this.registry] });
  readonly decisions = new client.Counter({ name: "understudy_decisions_total", help: "Changes decided", labelNames: ["service", "kind"], registers: [this.registry] });
  readonly errors = new client.Counter({ name: "understudy_runner_errors_total", help: "Ticks that failed", registers: [this.registry] });
}

/** A tick as lines for people: the forecast per service, every reason, what was applied. */
export function describeTick(r: TickRecord): string[] {
  const lines = [`${r.at} ${r.dryRun ? "[dry-run] " : ""}tick ${r.tickMs} ms`];
  for (const [svc, f] of Object.entries(r.forecasts)) {
    lines.push(f ? `  ${svc}: load ${f.currentLoad.toFixed(1)} req/s, P(rise) ${(f.pRise * 100).toFixed(0)} %, upper ${f.upper.toFixed(1)} req/s (${f.note})` : `  ${svc}: no forecast`);
  }
  for (const reason of r.reasons) lines.push(`  - ${reason}`);
  if (r.apply) lines.push(`  applied: ${JSON.stringify(r.apply)}`);
  if (r.error) lines.push(`  error: ${r.error}`);
  return lines;
}

