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
  /** Resources the instances must wait for (their store). */
  after: pulumi.Resource[];
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
}
