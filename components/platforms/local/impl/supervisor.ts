// PM2 is the local platform's process supervisor: the long-running daemon owns every process, so the
// short-lived Pulumi provider plugin can exit while services keep running (and get restarted on crash).
import * as fs from "node:fs";
import * as path from "node:path";
import { run } from "./exec";

export interface AppStatus {
  name: string;
  status: string;
  pid: number;
  restarts: number;
}

export interface AppSpec {
  name: string;
  /** argv; argv[0] is an absolute path to the executable. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  outFile: string;
  errFile: string;
  /** Run as this OS user when we are root (PostgreSQL refuses to run as root). */
  user?: string;
  /** Seconds PM2 waits after SIGINT/SIGTERM before SIGKILL. */
  killTimeoutMs?: number;
}

function pm2Bin(): string {
  return require.resolve("pm2/bin/pm2");
}

/** Environment for the pm2 CLI: its own home, and nothing from ours (no passphrases leak to apps). */
function pm2Env(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", PM2_HOME: home, PM2_DISCRETE_MODE: "true" };
}

async function pm2(home: string, args: string[]): Promise<string> {
  fs.mkdirSync(home, { recursive: true });
  const { stdout } = await run(process.execPath, [pm2Bin(), ...args], { env: pm2Env(home), timeoutMs: 60_000 });
  return stdout;
}

export async function list(home: string): Promise<AppStatus[]> {
  if (!fs.existsSync(path.join(home, "pm2.pid"))) return [];
  const out = await pm2(home, ["jlist"]);
  const start = out.indexOf("[");
  const apps = JSON.parse(start >= 0 ? out.slice(start) : "[]") as { name: string; pid: number; pm2_env: { status: string; restart_time: number } }[];
  return apps.map((a) => ({ name: a.name, status: a.pm2_env.status, pid: a.pid, restarts: a.pm2_env.restart_time }));
}

export async function describe(home: string, name: string): Promise<AppStatus | undefined> {
  return (await list(home)).find((a) => a.name === name);
}

export async function start(home: string, spec: AppSpec): Promise<void> {
  let [exe, ...args] = spec.argv;
  if (spec.user && process.getuid?.() === 0) {
    // setpriv execs in place (no extra parent), so PM2's signals reach the real process.
    args = [`--reuid=${spec.user}`, `--regid=${spec.user}`, "--init-groups", "--", exe, ...args];
    exe = "/usr/bin/setpriv";
  }
  const ecosystem = {
    apps: [
      {
        name: spec.name,
        script: exe,
        args,
        interpreter: "none",
        cwd: spec.cwd,
        env: spec.env,
        filter_env: true,
        autorestart: true,
        min_uptime: 1000,
        max_restarts: 1000,
        restart_delay: 200,
        kill_timeout: spec.killTimeoutMs ?? 5000,
        out_file: spec.outFile,
        error_file: spec.errFile,
        merge_logs: true,
        time: true,
      },
    ],
  };
  const file = path.join(home, `${spec.name}.config.json`);
  fs.writeFileSync(file, JSON.stringify(ecosystem), { mode: 0o600 });
  try {
    await pm2(home, ["start", file]);
  } finally {
    // The file holds the environment (including the database URL); it is only needed for the start call.
    fs.rmSync(file, { force: true });
  }
}

export async function remove(home: string, name: string): Promise<void> {
  if (await describe(home, name)) await pm2(home, ["delete", name]);
}

export async function signal(home: string, name: string, sig: string): Promise<void> {
  await pm2(home, ["sendSignal", sig, name]);
}

/** Stop the daemon itself; called when the last supervised process is gone. */
export async function shutdown(home: string): Promise<void> {
  if (fs.existsSync(path.join(home, "pm2.pid"))) await pm2(home, ["kill"]);
}

export async function ensureDaemon(home: string): Promise<void> {
  await pm2(home, ["ping"]);
}
