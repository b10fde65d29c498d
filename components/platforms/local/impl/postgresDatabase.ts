// A database inside a running cluster, created once the server accepts connections.
import { Client } from "pg";
import { waitFor } from "./exec";

export interface DatabaseInputs {
  address: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

function client(i: DatabaseInputs, database: string): Client {
  return new Client({ host: i.address, port: i.port, user: i.user, password: i.password, database, connectionTimeoutMillis: 2000 });
}

async function canConnect(i: DatabaseInputs): Promise<boolean> {
  const c = client(i, "postgres");
  try {
    await c.connect();
    return true;
  } catch (e) {
    // Wrong credentials will not fix themselves: fail at once with the server's words.
    if (/password authentication failed/.test((e as Error).message)) throw new Error(`cannot log in to PostgreSQL at ${i.address}:${i.port} as ${i.user}: ${(e as Error).message}`);
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function create(i: DatabaseInputs): Promise<{ id: string; outs: DatabaseInputs }> {
  await waitFor(`PostgreSQL at ${i.address}:${i.port}`, () => canConnect(i), 30_000, 200);
  const c = client(i, "postgres");
  await c.connect();
  try {
    const exists = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [i.database]);
    if (exists.rowCount === 0) await c.query(`CREATE DATABASE "${i.database.replace(/"/g, '""')}"`);
  } finally {
    await c.end();
  }
  return { id: `${i.address}:${i.port}/${i.database}`, outs: i };
}

/** The database goes with its cluster's data directory; nothing to do on its own. */
export async function remove(): Promise<void> {}
