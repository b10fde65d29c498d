// What the change stream's publisher and consumers are told by the stack (one secret JSON variable).
import { BrokerRef } from "./streamClient";

export interface ChangeStreamConfig {
  stream: string;
  /** Replication slot on the primary, and the publisher's application_name (sync standby name). */
  slot: string;
  publication: string;
  mode: "sync" | "async";
  tables: string[];
  primaryUrl: string;
  broker: BrokerRef;
  /** Publisher: every replica (sync mode listens for what they applied). Consumer: its own. */
  replicas: { host: string; url: string }[];
}

export const ENV = "UNDERSTUDY_CHANGE_STREAM";
/** Channel on which a consumer announces what it applied (NOTIFY in the applying transaction). */
export const APPLIED_CHANNEL = "understudy_cdc_applied";

export function readConfig(): ChangeStreamConfig {
  const raw = process.env[ENV];
  if (!raw) throw new Error(`${ENV} is not set`);
  return JSON.parse(raw) as ChangeStreamConfig;
}

export function log(level: "info" | "warn" | "error", msg: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), level, msg, ...extra }));
}
