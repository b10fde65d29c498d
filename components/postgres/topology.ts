// Where a replicated service's PostgreSQL stores are: what the lag exporter, the replication drivers
// and store promotion need to reach every store (secret: the URLs carry passwords). Platforms that
// run PostgreSQL themselves (local, docker) build it; the drivers in automation/replication read it.
export interface ReplicationTopology {
  service: string;
  driver: "logical" | "stream";
  mode: "sync" | "async";
  tables: string[];
  primary: { host: string; url: string };
  replicas: { host: string; url: string; subscription: string }[];
  /** stream driver: the broker (secret URL) and the stream's name. */
  stream?: { url: string; name: string };
}
