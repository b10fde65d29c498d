// The local platform's Promoter: PostgreSQL store promotion with the stack's replication driver
// (logical or stream), its topology read from the stack's state, a dead primary fenced for good by
// taking it out of the supervisor, and the stack repointed by config + `up`.
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { preflight } from "../../../../automation/engine";
import type { Promoter, PromotionRequest } from "../../../../automation/platform/seams";
import { driverFor } from "../../../../automation/replication/drivers";
import type { Observation } from "../../../../automation/replication/driver";
import { promote, PromotionReport, repointConfig } from "../../../../automation/replication";
import * as supervisor from "../impl/supervisor";
import { topologyFromState } from "./topology";

export interface StackPromotion extends PromotionRequest {
  /** Project root (holds .understudy/). */
  root: string;
  stack: Stack;
  /** Default: the local platform's (the dead primary is taken out of the supervisor). */
  stonith?: (host: string) => Promise<void>;
  log?: (line: string) => void;
}

/** The local platform's fencing of a dead primary: take it out of the supervisor so it stays down. */
export function localStonith(root: string, stackName: string, service: string): (host: string) => Promise<void> {
  return (host) => supervisor.remove(path.join(root, ".understudy", stackName, "pm2"), `${service}-store-${host}`);
}

export async function observeService(stack: Stack, service: string): Promise<Observation> {
  const spec = await preflight(stack);
  if (!spec.services.some((s) => s.name === service)) throw new Error(`the stack has no service '${service}'`);
  const topology = topologyFromState(await stack.exportStack(), service);
  return driverFor(topology.driver).observe(topology);
}

export async function promoteService(p: StackPromotion): Promise<PromotionReport> {
  const spec = await preflight(p.stack);
  const svc = spec.services.find((s) => s.name === p.service);
  if (!svc) throw new Error(`the stack has no service '${p.service}'`);
  const topology = topologyFromState(await p.stack.exportStack(), p.service);
  return promote({
    topology,
    driver: driverFor(topology.driver),
    policy: { mode: svc.replication.mode, maxLagSeconds: svc.replication.maxLagSeconds, acceptDataLoss: p.acceptDataLoss },
    to: p.to,
    stonith: p.stonith ?? localStonith(p.root, p.stack.name, p.service),
    repoint:
      p.repoint === false
        ? undefined
        : async (host) => {
            await repointConfig(p.stack, spec, svc, host);
            await p.stack.up({ onOutput: (s) => p.log?.(s.trimEnd()) });
          },
    log: p.log,
  });
}

export function localPromoter(root: string, stack: Stack, log?: (line: string) => void): Promoter {
  return {
    status: (service) => observeService(stack, service),
    promote: (r) => promoteService({ ...r, root, stack, log }),
  };
}
