// Where a replicated service's stores are, read from the stack's state: the exporter's resource
// carries the whole topology (as a secret) and is the one place it is kept.
import { Deployment } from "@pulumi/pulumi/automation";
import type { ReplicationTopology } from "../../../postgres/topology";
import { exporterName } from "../replication";

interface StateResource {
  urn: string;
  outputs?: { secretEnv?: unknown };
}

function plaintext(v: unknown): unknown {
  // Secrets in an exported deployment: { <sig>: ..., plaintext: "<JSON>" }.
  if (v && typeof v === "object" && "plaintext" in v) return JSON.parse((v as { plaintext: string }).plaintext) as unknown;
  return v;
}

export function topologyFromState(d: Deployment, service: string): ReplicationTopology {
  const resources = ((d.deployment as { resources?: StateResource[] }).resources ?? []);
  const r = resources.find((x) => x.urn.endsWith(`::${exporterName(service)}`));
  if (!r) throw new Error(`the stack has no replication stream for '${service}' (no shadows, or not up yet)`);
  const env = plaintext(r.outputs?.secretEnv) as Record<string, string> | undefined;
  if (!env?.UNDERSTUDY_REPLICATION) throw new Error(`the state of ${exporterName(service)} has no topology`);
  return JSON.parse(env.UNDERSTUDY_REPLICATION) as ReplicationTopology;
}
