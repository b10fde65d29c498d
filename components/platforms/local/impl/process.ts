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
  /** A process that can change role while it runs (a service instance); see RoleSwitch. */
  roleSwitch?: RoleSwitch;
}

/**
 * A role change applied to the running process instead of a restart: POST `body` to `path` on its
 * address and port. The service keeps the role it was switched to in `file` (a restart by the
 * supervisor reads it), and on promotion switches to the store named in `PRIMARY_DATABASE_URL` itself,
 * so `env`/`secretEnv` keys listed here may change without a restart: the process has its new values
 * already, in effect. Only where `inPlace` holds (a promotion); other role changes restart the process.
 */
export interface RoleSwitch {
  path: string;
  body: Record<string, string>;
  file: string;
  env: string[];
  secretEnv: string[];
  inPlace: boolean;
}

export interface ProcessOutputs extends ProcessInputs {
  pid: number;
  status: string;
  restarts: number;
  /**
   * The supervisor's name for the process, fixed when it was created: a role changed in place renames
   * the instance (`name`), not the supervised process. Absent in states written before it existed.
   */
  supervisorName?: string;
}

/** The name the supervisor knows the process by. */
function supervised(p: ProcessInputs | ProcessOutputs): string {
  return (p as ProcessOutputs).supervisorName ?? p.name;
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

async function waitReady(i: ProcessInputs | ProcessOutputs): Promise<void> {
  const log = path.join(i.logDir, `${supervised(i)}.log`);
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

async function status(i: ProcessInputs | ProcessOutputs): Promise<Pick<ProcessOutputs, "pid" | "status" | "restarts">> {
  const s = await supervisor.describe(i.supervisorHome, supervised(i));
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
  // A new process starts in the role it is declared with, not one a predecessor was switched to.
  if (i.roleSwitch) fs.rmSync(i.roleSwitch.file, { force: true });
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
  return { id: i.name, outs: { ...i, supervisorName: i.name, ...(await status(i)) } };
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

function without(bag: Record<string, string> | undefined, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(bag ?? {}).filter(([k]) => !keys.includes(k)));
}

/**
 * The inputs a restart would change, as compared: with a role switch in place on both sides, the
 * instance name and the keys that follow the role are the running process's business, not a restart's.
 */
function restartView(p: ProcessInputs, inPlace: RoleSwitch | undefined): Partial<ProcessInputs> {
  if (!inPlace) return p;
  return { ...p, name: undefined, env: without(p.env, inPlace.env), secretEnv: without(p.secretEnv, inPlace.secretEnv) };
}

/** The role switch an update may apply in place, or undefined when a role change must restart. */
function inPlaceSwitch(olds: ProcessOutputs, news: ProcessInputs): RoleSwitch | undefined {
  const rs = news.roleSwitch;
  return rs?.inPlace && olds.roleSwitch && same(olds.roleSwitch.env, rs.env) && same(olds.roleSwitch.secretEnv, rs.secretEnv) ? rs : undefined;
}

export async function diff(_id: string, olds: ProcessOutputs, news: ProcessInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
  const rs = inPlaceSwitch(olds, news);
  const o = restartView(olds, rs);
  const n = restartView(news, rs);
  const replaces = RESTART_KEYS.filter((k) => !same(o[k], n[k])).map(String);
  // Without a switch in place, a changed role switch (another role, endpoint or file) is a new process.
  if (!rs && !same(olds.roleSwitch, news.roleSwitch)) replaces.push("roleSwitch");
  // A process that is not running is replaced, whatever its inputs.
  if (olds.status !== "online") replaces.push("status");
  const changes = replaces.length > 0 || !same(olds.reloadToken, news.reloadToken) || !same(olds.roleSwitch, news.roleSwitch) || !same(olds.name, news.name);
  // The new process needs the same port: stop the old one first.
  return { changes, replaces, deleteBeforeReplace: true };
}

/**
 * Switches the running process's role through its admin endpoint (idempotent: same role, no-op there).
 * False when the process has no such endpoint (404/405): the caller restarts it in the new role.
 */
async function switchRole(i: ProcessInputs, rs: RoleSwitch): Promise<boolean> {
  const url = `http://${i.address}:${i.port}${rs.path}`;
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(rs.body), signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new Error(`${i.name}: role switch through ${url} failed: ${(e as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 404 || res.status === 405) return false;
  if (!res.ok) throw new Error(`${i.name}: role switch through ${url} refused (${res.status}): ${text}`);
  return true;
}

export async function update(_id: string, olds: ProcessOutputs, news: ProcessInputs): Promise<{ outs: ProcessOutputs }> {
  // Only the reload token or a role switch in place changed (diff replaces on anything else).
  const outs = { ...news, supervisorName: supervised(olds) };
  const rs = inPlaceSwitch(olds, news);
  if (rs && (!same(olds.roleSwitch?.body, rs.body) || olds.name !== news.name) && !(await switchRole(news, rs))) {
    // A service without the admin endpoint changes role the old way: stopped, started in the new role.
    await remove(_id, olds);
    return { outs: (await create(news)).outs };
  }
  if (news.reloadSignal && !same(olds.reloadToken, news.reloadToken)) await supervisor.signal(news.supervisorHome, supervised(outs), news.reloadSignal);
  await waitReady(outs);
  return { outs: { ...outs, ...(await status(outs)) } };
}

export async function remove(_id: string, props: ProcessOutputs): Promise<void> {
  // Already gone when its successor took the address over (see `succeeds`): the port is not its own.
  const name = supervised(props);
  if (!(await supervisor.describe(props.supervisorHome, name))) return;
  await supervisor.remove(props.supervisorHome, name);
  await waitFor(`${props.address}:${props.port} to be released by ${name}`, async () => !(await isListening(props.address, props.port)), 15_000);
}
