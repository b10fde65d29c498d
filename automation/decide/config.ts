// Between decide() and the stack config: the desired state seeded from the config, a rollout request,
// and the new `understudy:services` object that carries a tick's changes (the runner writes it with
// setAllConfig). Pure.
import { ConfigError, NAMESPACE, placeService, ServiceSpec, StackSpec } from "../../components/config";
import type { Change, DecideState, ServiceState } from "./types";

/** The counts a service starts from; everything decide() remembers between ticks starts empty. */
export type ServiceCounts = Pick<ServiceState, "replicas" | "shadows" | "weightPercent" | "mirrorPercent" | "maxLagSec">;

export function initialServiceState(counts: ServiceCounts, now: number): ServiceState {
  return {
    ...counts,
    canary: { status: "idle", step: -1, stepStartedAt: null, reason: null },
    // Starting counts as a scale-up: nothing is removed before a stabilisation window has passed.
    lastScaleUpAt: now,
    lastScaleDownAt: null,
    lastTriggerAt: null,
    recommendations: [],
    lowSince: null,
    capacityPerInstance: null,
    drained: [],
  };
}

function freshService(svc: ServiceSpec, now: number): ServiceState {
  return initialServiceState(
    {
      replicas: svc.replicas,
      shadows: svc.shadows.count,
      weightPercent: svc.shadows.weightPercent,
      mirrorPercent: svc.shadows.mirrorPercent,
      maxLagSec: svc.store ? svc.replication.maxLagSeconds : null,
    },
    now,
  );
}

/**
 * The desired state as the stack config declares it. With `previous`, the memory (capacity, windows,
 * canary, drained hosts) carries over and the counts follow the config, which is what is deployed.
 */
export function stateFromConfig(stack: StackSpec, now: number, previous?: DecideState): DecideState {
  const services: Record<string, ServiceState> = {};
  for (const svc of stack.services) {
    const before = previous?.services[svc.name];
    const fresh = freshService(svc, now);
    services[svc.name] = before
      ? { ...before, replicas: fresh.replicas, shadows: fresh.shadows, weightPercent: fresh.weightPercent, mirrorPercent: fresh.mirrorPercent, maxLagSec: fresh.maxLagSec }
      : fresh;
  }
  return { platform: stack.platform, hosts: [...stack.hosts], services };
}

/** Requests a canary rollout of a service's shadows; decide() drives it from the next tick. */
export function startRollout(state: DecideState, service: string): DecideState {
  if (!state.services[service]) throw new Error(`cannot start a rollout of unknown service '${service}'`);
  const next = structuredClone(state);
  next.services[service].canary = { status: "running", step: -1, stepStartedAt: null, reason: "requested" };
  return next;
}

type RawService = Record<string, unknown> & { shadows: Record<string, unknown> };

/** A parsed service back in the shape the config is written in (the parsed field names are the keys). */
function toRaw(svc: ServiceSpec): RawService {
  const raw = JSON.parse(JSON.stringify(svc)) as RawService;
  delete raw.name; // the key of the services object
  return raw;
}

const PLACEMENT_KINDS = new Set<Change["kind"]>(["promote", "drain", "demote", "setReplicas", "setShadows", "completeRollout"]);

/**
 * The `understudy:services` config object after `changes`, every service included. A service whose
 * placement changes gets explicit hosts, so instances that stay keep their hosts. Throws ConfigError
 * when a change does not fit the config (unknown instance host, no free host).
 */
export function applyChangesToConfig(stack: StackSpec, changes: Change[]): Record<string, RawService> {
  const out: Record<string, RawService> = {};
  for (const svc of stack.services) {
    const raw = toRaw(svc);
    out[svc.name] = raw;
    const mine = changes.filter((c) => c.service === svc.name);
    if (mine.length === 0) continue;
    const key = `${NAMESPACE}:services.${svc.name}`;
    let { live, shadows } = placeService(svc, stack.hosts);
    const take = (list: string[], host: string, what: string): string[] => {
      if (!list.includes(host)) throw new ConfigError(key, `${what}: host '${host}' is not in [${list.join(", ")}] in the config`);
      return list.filter((h) => h !== host);
    };
    const resize = (list: string[], to: number, avoid: string[], field: string): string[] => {
      const next = list.slice(0, to);
      const free = stack.hosts.filter((h) => !live.includes(h) && !shadows.includes(h) && !avoid.includes(h));
      while (next.length < to) {
        const host = free.shift();
        if (host === undefined) throw new ConfigError(`${key}.${field}`, `${to} instances need more hosts than are free in ${NAMESPACE}:hosts (avoiding ${avoid.join(", ") || "none"})`);
        next.push(host);
      }
      return next;
    };
    for (const c of mine) {
      switch (c.kind) {
        case "promote":
          shadows = take(shadows, c.host, `promote ${c.instance}`);
          live = [...live, c.host];
          break;
        case "drain":
          live = take(live, c.host, `drain ${c.instance}`);
          break;
        case "demote":
          live = take(live, c.host, `demote ${c.instance}`);
          shadows = [...shadows, c.host];
          break;
        case "setReplicas":
          live = resize(live, c.to, c.avoid, "replicas");
          break;
        case "setShadows":
          shadows = resize(shadows, c.to, c.avoid, "shadows.count");
          break;
        case "setMirror":
          raw.shadows.mirrorPercent = c.to;
          break;
        case "setWeights":
          raw.shadows.weightPercent = c.to;
          break;
        case "completeRollout":
          [live, shadows] = [shadows, live];
          raw.shadows.weightPercent = 0;
          break;
        case "restore":
          break; // the host becomes eligible in the desired state; the config has nothing to say
      }
    }
    if (mine.some((c) => PLACEMENT_KINDS.has(c.kind))) {
      raw.replicas = live.length;
      raw.hosts = live;
      raw.shadows.count = shadows.length;
      raw.shadows.hosts = shadows;
    }
  }
  return out;
}
