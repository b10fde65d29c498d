// A supervised OS process: created, health-waited, signalled and deleted through PM2.
import * as fs from "node:fs";
import * as path from "node:path";
import { isListening, waitFor } from "./exec";
import * as supervisor from "./supervisor";

export interface ProcessInputs {
  supervisorHome: string;
  name: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Secret environment (e.g. DATABASE_URL): kept apart so Pulumi stores it encrypted. */
  secretEnv: Record<string, string>;
  user?: string;
  /** Where the process must accept connections before `create` returns. */
  address: string;
  port: number;
  /** Optional HTTP path that must answer 2xx before `create` returns. */
  healthPath?: string;
  logDir: string;
  /** Changing only this sends `reloadSignal` instead of restarting (hitless config reloads). */
  reloadToken?: string;
  reloadSignal?: string;
  startTimeoutMs?: number;
  /**
   * Processes this one takes the address over from: the same service's instance on the same host in
   * its other role. A role change (a live instance demoted to shadow, a shadow promoted) creates the
   * new process before Pulumi deletes the old one, and both need the same address and port.
   */
  succeeds?: string[];
}

export interface ProcessOutputs extends ProcessInputs {
  pid: number;
  status: string;
  restarts: number;
}

async function httpOk(address: string, port: number, p: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}:${port}${p}`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitReady(i: ProcessInputs): Promise<void> {
  const log = path.join(i.logDir, `${i.name}.log`);
  const timeout = i.startTimeoutMs ?? 30_000;
  try {
    await waitFor(`${i.name} to listen on ${i.address}:${i.port}`, () => isListening(i.address, i.port), timeout);
    if (i.healthPath) {
      const hp = i.healthPath;
      await waitFor(`${i.name} health ${hp}`, () => httpOk(i.address, i.port, hp), timeout);
    }
  } catch (e) {
    throw new Error(`${(e as Error).message}; last lines of ${log}:\n${tail(log)}`);
  }
}

async function status(i: ProcessInputs): Promise<Pick<ProcessOutputs, "pid" | "status" | "restarts">> {
  const s = await supervisor.describe(i.supervisorHome, i.name);
  return { pid: s?.pid ?? 0, status: s?.status ?? "missing", restarts: s?.restarts ?? 0 };
}

export async function create(i: ProcessInputs): Promise<{ id: string; outs: ProcessOutputs }> {
  // A process of this name left by an interrupted run (its create never reached the state) is ours,
  // and so is the one this process succeeds (its delete, later in this update, finds it gone): remove
  // them before checking that the address is free.
  for (const name of [i.name, ...(i.succeeds ?? [])]) {
    if (!(await supervisor.describe(i.supervisorHome, name))) continue;
    await supervisor.remove(i.supervisorHome, name);
    await waitFor(`${i.address}:${i.port} to be released by ${name}`, async () => !(await isListening(i.address, i.port)), 15_000);
  }
  if (await isListening(i.address, i.port)) {
    throw new Error(`${i.address}:${i.port} is already in use by another process; stop it or choose another port in the stack config`);
  }
  fs.mkdirSync(i.logDir, { recursive: true });
  const log = path.join(i.logDir, `${i.name}.log`);
  await supervisor.start(i.supervisorHome, {
    name: i.name,
    argv: i.argv,
    cwd: i.cwd,
    env: { ...i.env, ...i.secretEnv },
    outFile: log,
    errFile: log,
    user: i.user,
  });
  await waitReady(i);
  return { id: i.name, outs: { ...i, ...(await status(i)) } };
}

export async function read(id: string, props: ProcessOutputs): Promise<{ id: string; props: ProcessOutputs }> {
  const s = await status(props);
  // Gone from the supervisor: report the resource as deleted so the next `up` recreates it.
  if (s.status === "missing") return { id: "", props: { ...props, ...s } };
  return { id, props: { ...props, ...s } };
}

const RESTART_KEYS: (keyof ProcessInputs)[] = ["name", "argv", "cwd", "env", "secretEnv", "user", "address", "port", "healthPath", "supervisorHome", "logDir", "reloadSignal"];

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export async function diff(_id: string, olds: ProcessOutputs, news: ProcessInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const replaces = RESTART_KEYS.filter((k) => !same(olds[k], news[k])).map(String);
  // A process that is not running is replaced, whatever its inputs.
  if (olds.status !== "online") replaces.push("status");
  const changes = replaces.length > 0 || !same(olds.reloadToken, news.reloadToken);
  // The new process needs the same port: stop the old one first.
  return { changes, replaces, deleteBeforeReplace: true };
}

export async function update(_id: string, _olds: ProcessOutputs, news: ProcessInputs): Promise<{ outs: ProcessOutputs }> {
  // Only the reload token changed (diff replaces on anything else).
  if (news.reloadSignal) await supervisor.signal(news.supervisorHome, news.name, news.reloadSignal);
  await waitReady(news);
  return { outs: { ...news, ...(await status(news)) } };
}

export async function remove(_id: string, props: ProcessOutputs): Promise<void> {
  // Already gone when its successor took the address over (see `succeeds`): the port is not its own.
  if (!(await supervisor.describe(props.supervisorHome, props.name))) return;
  await supervisor.remove(props.supervisorHome, props.name);
  await waitFor(`${props.address}:${props.port} to be released by ${props.name}`, async () => !(await isListening(props.address, props.port)), 15_000);
}
