// The seam between the components and the places they run. One implementation per folder under
// components/platforms/; the components never look inside one.
import * as pulumi from "@pulumi/pulumi";
import { PlatformName, ServiceSpec, StackSpec } from "./config";

export type Role = "live" | "shadow";

/** One running instance as the load balancer and the metrics system see it. */
export interface Endpoint {
  instance: string;
  role: Role;
  host: string;
  address: pulumi.Output<string>;
  port: number;
}

export interface InstanceGroupArgs {
  service: ServiceSpec;
  role: Role;
  /** Hosts (local), nodes or zones (clouds), one instance each. */
  hosts: string[];
  /** Secret connection URL of the store this group reads (live: the primary; shadow: its own replica). */
  databaseUrl?: pulumi.Output<string>;
  /** Per host, overrides databaseUrl: each shadow reads its own replica. */
  databaseUrls?: Record<string, pulumi.Output<string>>;
  /** Resources the instances must wait for (their store). */
  after: pulumi.Resource[];
  /**
   * The URN of the same service's group in the other role (live ↔ shadow). A platform that changes an
   * instance's role in place aliases each instance to its name there, so a role change updates the
   * instance instead of replacing it.
   */
  otherRoleParent?: pulumi.Input<string>;
}

export interface InstanceGroup {
  endpoints: Endpoint[];
}

export interface StoreArgs {
  service: ServiceSpec;
  host: string;
}

export interface Store {
  /** Secret: includes the generated password. */
  url: pulumi.Output<string>;
  address: pulumi.Output<string>;
  port: number;
  /** The resources the store is ready after (instances wait for it). */
  ready: pulumi.Resource[];
}

export interface LoadBalancerArgs {
  service: ServiceSpec;
  live: Endpoint[];
  shadows: Endpoint[];
}

export interface LoadBalancerHandle {
  url: pulumi.Output<string>;
  metricsUrl: pulumi.Output<string>;
}

export interface Platform {
  readonly name: PlatformName;
  /** Per-stack shared pieces (local: the supervisor and Prometheus). Called once, before the rest. */
  foundation(spec: StackSpec, parent: pulumi.Resource): { prometheusUrl: pulumi.Output<string> };
  store(args: StoreArgs, parent: pulumi.Resource): Store;
  instances(args: InstanceGroupArgs, parent: pulumi.Resource): InstanceGroup;
  loadBalancer(args: LoadBalancerArgs, parent: pulumi.Resource): LoadBalancerHandle;
  /** CDC from a service's primary store to every shadow's store (see ReplicationArgs). */
  replication(args: ReplicationArgs, parent: pulumi.Resource): ReplicationHandle;
}

/**
 * Change data capture from a service's live store to each shadow's own store (issue: replication
 * streams). Implemented per platform; the ReplicationStream component delegates to it.
 */
export interface ReplicationArgs {
  service: ServiceSpec;
  primary: Store;
  /** Host (local), node or zone of the primary store. */
  primaryHost: string;
  /** One store per shadow host, each fed by the stream. */
  replicas: { host: string; store: Store }[];
  /** The DDL applied to the primary and every replica before replication starts, and its tables. */
  schema: ManagedSchema;
}

export interface ManagedSchema {
  sql: string;
  /** Tables the SQL creates; each has a primary key (checked at preview). These are replicated. */
  tables: string[];
}

export interface ReplicationHandle {
  /**
   * Ready once every replica has its initial copy and is streaming (and, in sync mode, the primary
   * waits for them): live instances wait for it in sync mode, so no write is acknowledged unprotected.
   */
  ready: pulumi.Resource[];
}
