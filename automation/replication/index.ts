// Promotion as the runner and the CLI call it: one service of one stack, on the local platform.
import * as path from "node:path";
import { Stack } from "@pulumi/pulumi/automation";
import { placeService, ServiceSpec, StackSpec } from "../../components/config";
import * as supervisor from "../../components/platforms/local/impl/supervisor";
import { preflight } from "../engine";
import { driverFor } from "./drivers";
import { Observation } from "./driver";
import { promote, PromotionReport } from "./promote";
import { topologyFromState } from "./topology";

export { PromotionRefused } from "./promote";
export type { PromotionReport } from "./promote";

export interface StackPromotion {
  /** Project root (holds .understudy/). */
  root: string;
  stack: Stack;
  service: string;
  to?: string;
  acceptDataLoss?: boolean;
  /** Write the new primary into the stack config and run `up` (default true). */
  repoint?: boolean;
  /** Default: the local platform's (the dead primary is taken out of the supervisor). */
  stonith?: (host: string) => Promise<void>;
  log?: (line: string) => void;
}

/** The local platform's fencing of a dead primary: take it out of the supervisor so it stays down. */
export function localStonith(root: string, stackName: string, service: string): (host: string) => Promise<void> {
  return (host) => supervisor.remove(path.join(root, ".understudy", stackName, "pm2"), `${service}-store-${host}`);
}

/**
 * The stack is the source of truth: its config names the primary's host, and `up` makes it so (live
 * instances restart on the new primary, replication is re-created to the other shadows). An old
 * primary that was itself a shadow host leaves the shadows: its store is fenced or dead, and it
 * would otherwise come back as a replica of the new primary.
 */
export async function repointConfig(stack: Stack, spec: StackSpec, svc: ServiceSpec, host: string): Promise<void> {
  const key = `understudy:services.${svc.name}`;
  const old = svc.store?.host;
  await stack.setConfig(`${key}.store.host`, { value: host }, true);
  const shadows = placeService(svc, spec.hosts).shadows;
  if (!old || !shadows.includes(old)) return;
  const keep = shadows.filter((h) => h !== old);
  await stack.removeConfig(`${key}.shadows.hosts`, true).catch(() => undefined);
  const entries: [string, { value: string }][] = [[`${key}.shadows.count`, { value: String(keep.length) }], ...keep.map((h, i): [string, { value: string }] => [`${key}.shadows.hosts[${i}]`, { value: h }])];
  await stack.setAllConfig(Object.fromEntries(entries), true);
}

export async function observeService(stack: Stack, service: string): Promise<Observation> {
  const spec = await preflight(stack);
  const svc = spec.services.find((s) => s.name === service);
  if (!svc) throw new Error(`the stack has no service '${service}'`);
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
