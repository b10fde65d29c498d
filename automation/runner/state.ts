// What the runner keeps between ticks and restarts: decide()'s state and the fitted forecasters.
// Outside the stack's own folder, so it survives the stack's destroy and re-create.
import * as fs from "node:fs";
import * as path from "node:path";
import { DecideState } from "../decide";
import { ForecastMemory } from "./forecasting";

export interface RunnerState {
  decide?: DecideState;
  forecasts: Record<string, ForecastMemory | undefined>;
}

export function runnerDir(root: string, stack: string): string {
  return path.join(root, ".understudy", "runner", stack);
}

export function loadState(dir: string): RunnerState {
  const f = path.join(dir, "state.json");
  if (!fs.existsSync(f)) return { forecasts: {} };
  try {
    return JSON.parse(fs.readFileSync(f, "utf8")) as RunnerState;
  } catch (e) {
    // A damaged state only costs a refit: start afresh, say so, keep the damaged file for a look.
    fs.renameSync(f, `${f}.damaged-${Date.now()}`);
    console.error(`runner: ${f} was not valid JSON (${(e as Error).message}); kept it aside and started afresh`);
    return { forecasts: {} };
  }
}

export function saveState(dir: string, s: RunnerState): void {
  fs.mkdirSync(dir, { recursive: true });
  const f = path.join(dir, "state.json");
  fs.writeFileSync(`${f}.tmp`, JSON.stringify(s));
  fs.renameSync(`${f}.tmp`, f);
}
