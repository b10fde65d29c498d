// The platform-neutral facts the rules judge, extracted from each platform's resources.
import { ResourceArgs } from "../model";

export type PlatformName = "kubernetes" | "aws" | "docker" | "local";
export type Role = "live" | "shadow";

/** Instances of one service and role declared by one resource (a process, a container, a Deployment, an ASG). */
export interface Instances {
  r: ResourceArgs;
  platform: PlatformName;
  service: string;
  role: Role;
  count: number;
  /** Where they run, when the resource pins it: host names, networks, zones or subnets. */
  where: { domain: string; values: string[] }[];
  /** Kubernetes: required pod anti-affinity terms against the other role of the same service. */
  antiAffinity?: { against: Role; topologyKey: string }[];
  /** Whether something checks their health (probes, container health check, ELB check). */
  healthChecked: boolean;
}

export interface Route {
  r: ResourceArgs;
  platform: PlatformName;
  service: string;
  /** Weights in percent with the role they send to, when it is known. */
  weights: { role?: Role; weight: number }[];
  /** True when the live share is implied as 100 - shadow (one weight on HAProxy platforms). */
  liveImplied: boolean;
  mirrorPercent?: number;
}

export interface StoreFact {
  r: ResourceArgs;
  platform: PlatformName;
  service: string;
  role?: "primary" | "replica";
  consistency?: string;
}

/** Pieces of a replication stream: a subscriber or replica, and the primary's synchronous commit setting. */
export interface StreamFact {
  r: ResourceArgs;
  platform: PlatformName;
  service: string;
  kind: "subscriber" | "commit";
  mode?: "sync" | "async";
}

/** Something clients reach: a Gateway, a LoadBalancer Service, an ALB listener. */
export interface EntryPoint {
  r: ResourceArgs;
  platform: PlatformName;
  public: boolean;
  tls: boolean;
}

/** A target group or similar health check, independent of the instances it checks. */
export interface HealthCheck {
  r: ResourceArgs;
  platform: PlatformName;
  enabled: boolean;
}

export interface Facts {
  resources: ResourceArgs[];
  instances: Instances[];
  routes: Route[];
  stores: StoreFact[];
  streams: StreamFact[];
  entryPoints: EntryPoint[];
  healthChecks: HealthCheck[];
}

export const emptyFacts = (resources: ResourceArgs[]): Facts => ({ resources, instances: [], routes: [], stores: [], streams: [], entryPoints: [], healthChecks: [] });

export const asRole = (v: unknown): Role | undefined => (v === "live" || v === "shadow" ? v : undefined);
export const asMode = (v: unknown): "sync" | "async" | undefined => (v === "sync" || v === "async" ? v : undefined);
