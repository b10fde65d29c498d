// Throwaway stacks for integration tests: their own work dir (under the project, so Node resolves
// the project's packages), their own file backend, and a clean destroy + `stack rm` at the end.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../automation/engine";

export const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Pulumi.yaml without `main:` (inline programs) plus a stack file holding `config`. */
export function writeWorkDir(stack: string, config: Record<string, unknown>): string {
  const dir = path.join(ROOT, ".understudy", "tmp", stack);
  fs.mkdirSync(dir, { recursive: true });
  const project = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8").replace(/^main: .*\n/m, "");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project);
  const lines = ["config:", ...Object.entries(config).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`), ""];
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), lines.join("\n"));
  return dir;
}

export interface TestStack {
  name: string;
  stack: Stack;
  /** The local platform's runtime folder (.understudy/<stack>). */
  stateDir: string;
  /** The file backend's folder. */
  backendDir: string;
  log: string[];
  destroy(): Promise<void>;
}

export async function testStack(name: string, config: Record<string, unknown>): Promise<TestStack> {
  const workDir = writeWorkDir(name, config);
  const backendDir = path.join(workDir, "state");
  const stack = await openStack({ root: ROOT, stack: name, workDir, stateDir: backendDir });
  const log: string[] = [];
  // A run that died half-way left a stack behind: take it down before starting afresh.
  const left = ((await stack.exportStack()).deployment as { resources?: unknown[] }).resources ?? [];
  if (left.length > 0) await stack.destroy({ onOutput: (o) => log.push(o) });
  return {
    name,
    stack,
    stateDir: path.join(ROOT, ".understudy", name),
    backendDir,
    log,
    async destroy() {
      await stack.destroy({ onOutput: (s) => log.push(s) });
      await stack.workspace.removeStack(name);
      fs.rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** Live (non-zombie) processes whose command line mentions `needle`. */
export function processesMatching(needle: string): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(needle) && !l.includes("ps -eo"))
    .filter((l) => !/^\s*\d+\s+Z/.test(l));
}

export async function get(url: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

/** Pids of processes listening on `port` (any loopback address), from `ss`. */
export function pidsListening(port: number): number[] {
  const out = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
  return [...out.matchAll(new RegExp(`:${port}\\s.*?pid=(\\d+)`, "g"))].map((m) => Number(m[1]));
}
