// Orders store: the only module that talks to PostgreSQL. The HTTP layer depends on the Store
// interface, so it can be exercised against an in-memory fake.
import { Pool, type PoolConfig } from "pg";

export interface Order {
  id: number;
  customer: string;
  amount: number;
  items: number;
  created_at: string;
  request_id: string | null;
}

export interface NewOrder {
  customer: string;
  amount: number;
  items: number;
  requestId?: string;
}

export interface Stats {
  count: number;
  sum: number;
  avg: number | null;
  topCustomers: { customer: string; count: number; sum: number }[];
}

export interface CreateResult {
  order: Order;
  /** false when an order with the same request id already existed (idempotent retry). */
  created: boolean;
}

export interface Store {
  ensureSchema(): Promise<void>;
  create(o: NewOrder): Promise<CreateResult>;
  get(id: number): Promise<Order | undefined>;
  recent(limit: number): Promise<Order[]>;
  stats(): Promise<Stats>;
  /** Resolves when the database answers SELECT 1 within timeoutMs, rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  /** Opens connections ahead of traffic (a store switched to on promotion); optional. */
  warm?(): Promise<void>;
  close(): Promise<void>;
}

export const SCHEMA_SQL = `CREATE TABLE IF NOT EXISTS orders (
  id bigserial primary key,
  customer text not null,
  amount numeric(12,2) not null,
  items int not null default 1,
  created_at timestamptz not null default now(),
  request_id text unique
)`;

const COLUMNS = "id, customer, amount, items, created_at, request_id";

interface OrderRow {
  id: string;
  customer: string;
  amount: string;
  items: number;
  created_at: Date;
  request_id: string | null;
}

function toOrder(r: OrderRow): Order {
  return {
    id: Number(r.id),
    customer: r.customer,
    amount: Number(r.amount),
    items: r.items,
    created_at: r.created_at.toISOString(),
    request_id: r.request_id,
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export class PgStore implements Store {
  private readonly pool: Pool;
  /** Separate single-connection pool for health checks: a busy main pool is not a dead database. */
  private readonly healthPool: Pool;

  constructor(databaseUrl: string, applicationName: string, max = 10) {
    const base: PoolConfig = { connectionString: databaseUrl, application_name: applicationName };
    this.pool = new Pool({ ...base, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000, statement_timeout: 10_000 });
    this.healthPool = new Pool({ ...base, max: 1, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 1_000, statement_timeout: 1_000 });
    // An idle client whose server went away emits 'error' on the pool; without a listener it crashes the process.
    const log = (e: Error) => console.error(JSON.stringify({ level: "warn", msg: "postgres idle client error", error: e.message }));
    this.pool.on("error", log);
    this.healthPool.on("error", log);
  }

  /** Creates the table if missing; no DDL (so no lock, and fine on a read-only database) if it exists. */
  async ensureSchema(): Promise<void> {
    const r = await this.pool.query<{ exists: boolean }>("SELECT to_regclass('orders') IS NOT NULL AS exists");
    if (!r.rows[0].exists) await this.pool.query(SCHEMA_SQL);
  }

  async create(o: NewOrder): Promise<CreateResult> {
    const ins = await this.pool.query<OrderRow>(
      `INSERT INTO orders (customer, amount, items, request_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (request_id) DO NOTHING RETURNING ${COLUMNS}`,
      [o.customer, o.amount, o.items, o.requestId ?? null],
    );
    if (ins.rows.length > 0) return { order: toOrder(ins.rows[0]), created: true };
    // Conflict: a row with this request id exists (ON CONFLICT waited for its transaction to commit).
    const existing = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE request_id = $1`, [o.requestId]);
    if (existing.rows.length === 0) throw new Error("request id conflict but no existing row found");
    return { order: toOrder(existing.rows[0]), created: false };
  }

  async get(id: number): Promise<Order | undefined> {
    const r = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders WHERE id = $1`, [id]);
    return r.rows.length > 0 ? toOrder(r.rows[0]) : undefined;
  }

  async recent(limit: number): Promise<Order[]> {
    const r = await this.pool.query<OrderRow>(`SELECT ${COLUMNS} FROM orders ORDER BY id DESC LIMIT $1`, [limit]);
    return r.rows.map(toOrder);
  }

  async stats(): Promise<Stats> {
    const agg = await this.pool.query<{ count: string; sum: string | null; avg: string | null }>(
      "SELECT count(*) AS count, sum(amount) AS sum, avg(amount) AS avg FROM orders",
    );
    const top = await this.pool.query<{ customer: string; count: string; sum: string }>(
      `SELECT customer, count(*) AS count, sum(amount) AS sum FROM orders
       GROUP BY customer ORDER BY sum(amount) DESC, customer LIMIT 5`,
    );
    const a = agg.rows[0];
    return {
      count: Number(a.count),
      sum: a.sum === null ? 0 : Number(a.sum),
      avg: a.avg === null ? null : Math.round(Number(a.avg) * 100) / 100,
      topCustomers: top.rows.map((r) => ({ customer: r.customer, count: Number(r.count), sum: Number(r.sum) })),
    };
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.healthPool.query("SELECT 1"), timeoutMs, "SELECT 1");
  }

  /** Opens a few pool connections at once, so the first requests after a switch do not pay for them. */
  async warm(connections = 4): Promise<void> {
    const clients = await Promise.all(Array.from({ length: connections }, () => this.pool.connect()));
    for (const c of clients) c.release();
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.pool.end(), this.healthPool.end()]);
  }
}
