// Throwaway PostgreSQL 15 clusters for integration tests.
//
//   const pg = await startPgCluster();          // initdb + start on 127.0.0.1:<free port>
//   pg.url                                       // postgres://understudy:<pw>@127.0.0.1:<port>/understudy
//   await pg.stop();                             // fast shutdown, data dir removed
//
// PostgreSQL refuses to run as root: as root, initdb and the server run as the `postgres` OS user
// (runuser), in a temp dir chowned to it. Clusters still running when the process exits are stopped
// immediately by an exit hook. Settings favour speed over durability (fsync off).
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const execFileP = promisify(execFile);

export const PG_BIN_DIR = process.env.PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";
export const PG_OS_USER = "postgres";

export interface PgClusterOptions {
  /** Loopback address to listen on; default 127.0.0.1. */
  host?: string;
  /** Default: a free port. */
  port?: number;
  /** Application role created with LOGIN CREATEDB REPLICATION; default "understudy". */
  user?: string;
  /** Database owned by user; default = user. */
  database?: string;
  /** Extra postgresql.conf settings, e.g. { wal_level: "logical" }. */
  settings?: Record<string, string | number>;
  binDir?: string;
}

export interface PgCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Connection URL of the application user, for the given database (default: its own). */
  url: string;
  urlFor(database: string): string;
  /** Superuser "postgres" with the same password. */
  superuserUrl: string;
  dataDir: string;
  logFile: string;
  /** Runs SQL as the superuser (in the given database, default the app database). */
  query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[], database?: string): Promise<T[]>;
  stop(mode?: "fast" | "immediate"): Promise<void>;
}

const running = new Set<{ pgCtl: string[]; dataDir: string; tmp: string }>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on("exit", () => {
    for (const c of running) {
      spawnSync(c.pgCtl[0], [...c.pgCtl.slice(1), "-D", c.dataDir, "-m", "immediate", "-w", "-t", "10", "stop"], { stdio: "ignore" });
      fs.rmSync(c.tmp, { recursive: true, force: true });
    }
  });
}

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Command prefix that runs bin as the postgres OS user when we are root. */
function command(binDir: string, bin: string): string[] {
  const full = path.join(binDir, bin);
  if (!fs.existsSync(full)) throw new Error(`${full} not found: install postgresql-15 or set PG_BIN_DIR`);
  return asRoot() ? ["runuser", "-u", PG_OS_USER, "--", full] : [full];
}

async function run(cmd: string[], args: string[], what: string): Promise<void> {
  try {
    await execFileP(cmd[0], [...cmd.slice(1), ...args], { timeout: 60_000 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${what} failed: ${(err.stderr || err.stdout || err.message).trim()}`);
  }
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function ensurePostgresUser(): { uid: number; gid: number } {
  const r = spawnSync("id", ["-u", PG_OS_USER], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", PG_OS_USER], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) {
    throw new Error(`running as root, but there is no "${PG_OS_USER}" OS user to run PostgreSQL as (create one: useradd --system ${PG_OS_USER})`);
  }
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function chownTree(p: string, uid: number, gid: number): void {
  fs.chownSync(p, uid, gid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid, gid);
}

export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const binDir = opts.binDir ?? PG_BIN_DIR;
  const host = opts.host ?? "127.0.0.1";
  const user = opts.user ?? "understudy";
  const database = opts.database ?? user;
  if (!/^[a-z_][a-z0-9_]*$/.test(user) || !/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error("user and database must be simple lower-case identifiers");
  const password = randomBytes(18).toString("base64url");
  const owner = asRoot() ? ensurePostgresUser() : undefined;
  const initdb = command(binDir, "initdb");
  const pgCtl = command(binDir, "pg_ctl");

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-pg-"));
  const dataDir = path.join(tmp, "data");
  const logFile = path.join(tmp, "postgres.log");
  const pwFile = path.join(tmp, "pw");
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  fs.writeFileSync(logFile, "");
  if (owner) chownTree(tmp, owner.uid, owner.gid);

  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    await run(initdb, ["-D", dataDir, "-U", "postgres", `--pwfile=${pwFile}`, "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"], "initdb");
  } catch (e) {
    cleanup();
    throw e;
  }
  fs.rmSync(pwFile);
  fs.writeFileSync(path.join(dataDir, "pg_hba.conf"), "host all all 127.0.0.0/8 scram-sha-256\nhost replication all 127.0.0.0/8 scram-sha-256\n");
  if (owner) fs.chownSync(path.join(dataDir, "pg_hba.conf"), owner.uid, owner.gid);

  const settings: Record<string, string | number> = {
    listen_addresses: `'${host}'`,
    unix_socket_directories: `'${tmp}'`,
    fsync: "off",
    synchronous_commit: "off",
    full_page_writes: "off",
    shared_buffers: "32MB",
    max_connections: 100,
    log_min_messages: "warning",
    ...opts.settings,
  };
  installExitHook();
  let port = 0;
  let started = false;
  for (let attempt = 1; attempt <= 3 && !started; attempt++) {
    port = opts.port ?? (await freePort(host));
    const conf = Object.entries({ ...settings, port })
      .map(([k, v]) => `${k} = ${v}`)
      .join("\n");
    fs.writeFileSync(path.join(dataDir, "postgresql.auto.conf"), `${conf}\n`);
    if (owner) fs.chownSync(path.join(dataDir, "postgresql.auto.conf"), owner.uid, owner.gid);
    try {
      await run(pgCtl, ["-D", dataDir, "-l", logFile, "-w", "-t", "30", "start"], "pg_ctl start");
      started = true;
    } catch (e) {
      // Most likely the port was taken between freePort() and bind; try another unless it was fixed.
      if (attempt === 3 || opts.port !== undefined) {
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : "";
        cleanup();
        throw new Error(`${(e as Error).message}\n${log}`);
      }
    }
  }
  const entry = { pgCtl, dataDir, tmp };
  running.add(entry);

  const enc = encodeURIComponent;
  const superuserUrl = `postgres://postgres:${enc(password)}@${host}:${port}/postgres`;
  const urlFor = (db: string) => `postgres://${user}:${enc(password)}@${host}:${port}/${db}`;
  const query = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = [], db = database): Promise<T[]> => {
    const c = new Client({ connectionString: `postgres://postgres:${enc(password)}@${host}:${port}/${db}` });
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  try {
    await query(`CREATE ROLE ${user} LOGIN CREATEDB REPLICATION PASSWORD '${password}'`, [], "postgres");
    await query(`CREATE DATABASE ${database} OWNER ${user}`, [], "postgres");
  } catch (e) {
    await stopCluster(entry, "immediate");
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    host,
    port,
    user,
    password,
    database,
    url: urlFor(database),
    urlFor,
    superuserUrl,
    dataDir,
    logFile,
    query,
    stop: (mode = "fast") => (stopped ??= stopCluster(entry, mode)),
  };
}

async function stopCluster(entry: { pgCtl: string[]; dataDir: string; tmp: string }, mode: "fast" | "immediate"): Promise<void> {
  try {
    await run(entry.pgCtl, ["-D", entry.dataDir, "-m", mode, "-w", "-t", "30", "stop"], "pg_ctl stop");
  } catch (e) {
    if (mode === "immediate") throw e; // still registered: the exit hook tries once more
    await run(entry.pgCtl, ["-D", entry.dataDir, "-m", "immediate", "-w", "-t", "30", "stop"], "pg_ctl stop");
  }
  running.delete(entry);
  fs.rmSync(entry.tmp, { recursive: true, force: true });
}
