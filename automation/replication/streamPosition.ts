// Where a shadow's store stands in a change stream: one row per stream, in the store itself, updated
// in the same transaction as the changes it applies, so position and data can never disagree.
import { Client } from "pg";

export const POSITION_DDL = `CREATE SCHEMA IF NOT EXISTS understudy;
CREATE TABLE IF NOT EXISTS understudy.cdc_position (
  stream text PRIMARY KEY,
  "offset" bigint NOT NULL,
  lsn numeric NOT NULL,
  commit_time timestamptz,
  applied_at timestamptz,
  marker text,
  detached boolean NOT NULL DEFAULT false,
  apply_errors bigint NOT NULL DEFAULT 0
)`;

export interface Position {
  offset: bigint;
  lsn: bigint;
  commitTime?: Date;
  appliedAt?: Date;
  marker?: string;
  detached: boolean;
  applyErrors: number;
}

interface PositionRow {
  offset: string;
  lsn: string;
  commit_time: Date | null;
  applied_at: Date | null;
  marker: string | null;
  detached: boolean;
  apply_errors: string;
}

export async function readPosition(c: Client, stream: string): Promise<Position | undefined> {
  const exists = await c.query<{ t: string | null }>("SELECT to_regclass('understudy.cdc_position')::text AS t");
  if (!exists.rows[0].t) return undefined;
  const r = await c.query<PositionRow>(`SELECT "offset"::text AS offset, lsn::text AS lsn, commit_time, applied_at, marker, detached, apply_errors::text AS apply_errors FROM understudy.cdc_position WHERE stream = $1`, [stream]);
  const row = r.rows[0];
  if (!row) return undefined;
  return {
    offset: BigInt(row.offset),
    lsn: BigInt(row.lsn),
    commitTime: row.commit_time ?? undefined,
    appliedAt: row.applied_at ?? undefined,
    marker: row.marker ?? undefined,
    detached: row.detached,
    applyErrors: Number(row.apply_errors),
  };
}

/** The replica stops applying: waits for the batch in flight (row lock), then no batch follows. */
export async function detachPosition(c: Client, stream: string): Promise<void> {
  await c.query("UPDATE understudy.cdc_position SET detached = true WHERE stream = $1", [stream]);
}
