// A PostgreSQL cluster's data directory: initdb with a generated password, and the settings the
// platform relies on (logical replication, loopback-only listening). The server itself is a
// supervised process started from this directory.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { requireBinary, run } from "./exec";

export const PG_BIN_DIR = "/usr/lib/postgresql/15/bin";
export const PG_OS_USER = "postgres";

export interface ClusterInputs {
  dataDir: string;
  address: string;
  port: number;
  user: string;
}

export interface ClusterOutputs extends ClusterInputs {
  /** Stored encrypted in the Pulumi state (additionalSecretOutputs). */
  password: string;
  postgresBinary: string;
}

function asPostgresUser(): boolean {
  return process.getuid?.() === 0;
}

export async function create(i: ClusterInputs): Promise<{ id: string; outs: ClusterOutputs }> {
  const initdb = requireBinary("initdb", "postgresql-15", [PG_BIN_DIR]);
  const postgresBinary = requireBinary("postgres", "postgresql-15", [PG_BIN_DIR]);
  if (fs.existsSync(path.join(i.dataDir, "PG_VERSION"))) {
    throw new Error(`${i.dataDir} already holds a PostgreSQL cluster that this stack does not know; move it away or delete it`);
  }
  const password = randomBytes(24).toString("base64url");
  // Parents stay traversable for the postgres user; only the data dir itself is private.
  fs.mkdirSync(path.dirname(i.dataDir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(i.dataDir, { mode: 0o700 });
  const pwDir = fs.mkdtempSync(path.join(os.tmpdir(), "understudy-pw-"));
  const pwFile = path.join(pwDir, "pw");
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  try {
    const args = ["-D", i.dataDir, "-U", i.user, `--pwfile=${pwFile}`, "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"];
    if (asPostgresUser()) {
      await run("chown", ["-R", `${PG_OS_USER}:`, i.dataDir, pwDir]);
      await run("/usr/bin/setpriv", [`--reuid=${PG_OS_USER}`, `--regid=${PG_OS_USER}`, "--init-groups", "--", initdb, ...args]);
    } else {
      await run(initdb, args);
    }
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
  const conf = [
    `listen_addresses = '${i.address}'`,
    `port = ${i.port}`,
    // No Unix socket: every client, tools included, goes through the host's own address.
    "unix_socket_directories = ''",
    "wal_level = logical",
    "max_wal_senders = 20",
    "max_replication_slots = 20",
    "max_logical_replication_workers = 20",
    "max_connections = 200",
    "shared_buffers = 64MB",
    "log_min_messages = warning",
  ].join("\n");
  fs.appendFileSync(path.join(i.dataDir, "postgresql.conf"), `\n# understudy\n${conf}\n`);
  fs.writeFileSync(
    path.join(i.dataDir, "pg_hba.conf"),
    ["host all all 127.0.0.0/8 scram-sha-256", "host replication all 127.0.0.0/8 scram-sha-256", ""].join("\n"),
  );
  return { id: i.dataDir, outs: { ...i, password, postgresBinary } };
}

export async function read(id: string, props: ClusterOutputs): Promise<{ id: string; props: ClusterOutputs }> {
  return { id: fs.existsSync(path.join(props.dataDir, "PG_VERSION")) ? id : "", props };
}

export async function remove(_id: string, props: ClusterOutputs): Promise<void> {
  fs.rmSync(props.dataDir, { recursive: true, force: true });
}
