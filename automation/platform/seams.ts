// The runtime's seams, one implementation per platform beside its declare code
// (components/platforms/<name>/runtime/), as the declare plane has one Platform per folder. The
// runner, the canary and the promotion CLI talk to these interfaces only; which implementation runs
// is the platform registry's business (components/platforms: createRuntime).
import type { Stack } from "@pulumi/pulumi/automation";
import type { StackSpec } from "../../components/config";
import type { Change, Observations } from "../decide";
import type { MetricsSource } from "../metrics/source";
import type { PromotionReport } from "../replication/promote";

export interface Observed {
  observations: Observations;
  /** Requests/s each service receives at its front door (mirrored copies are not load). */
  loads: Record<string, number | undefined>;
}

/** Reads what the platform's metrics really produce: instances with role and host, KPIs, lag, load. */
export interface Observer {
  observe(spec: StackSpec, now: number): Promise<Observed>;
  /** The PromQL of a service's load: the forecasters' history. */
  loadQuery(service: string): string;
}

/** What the router did before the `up`, and how to put back what must not outlive a failed one. */
export interface FastPath {
  done: string[];
  undo(): Promise<void>;
}

/**
 * Moves traffic: the durable change is always stack config + `up`; a platform with a faster path
 * (HAProxy's runtime API, a server-side patch of an HTTPRoute) applies it at once, before the `up`.
 */
export interface TrafficRouter {
  beforeUp(spec: StackSpec, changes: Change[]): Promise<FastPath>;
  /** The shadows' share of client traffic, at once (the canary's lever). */
  setShadowWeight(service: string, percent: number): Promise<void>;
}

export interface PromotionRequest {
  service: string;
  /** A shadow host; default: the promoter chooses (least behind, or most advanced when the primary is dead). */
  to?: string;
  acceptDataLoss?: boolean;
  /** Write the new primary into the stack config and run `up` (default true). */
  repoint?: boolean;
}

/** Store promotion, consistency first (DESIGN.md "Store failover"), as the platform's stores allow. */
export interface Promoter {
  /** How each shadow's store stands (JSON-able). */
  status(service: string): Promise<unknown>;
  promote(r: PromotionRequest): Promise<PromotionReport>;
}

export interface RuntimeContext {
  /** Project root (holds .understudy/). */
  root: string;
  stack: Stack;
  metrics: MetricsSource;
  log?: (line: string) => void;
}

export interface PlatformRuntime {
  observer: Observer;
  router: TrafficRouter;
  promoter: Promoter;
  /** Set when the platform's metrics live elsewhere than the caller's source (aws: CloudWatch); the load history is read there. */
  metrics?: MetricsSource;
}
