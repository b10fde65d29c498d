import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./config";
import { Endpoint, Platform } from "./platform";

export interface ShadowPoolArgs {
  service: ServiceSpec;
  /** Hosts without a live instance of the same service (placeService guarantees it). */
  hosts: string[];
  databaseUrl?: pulumi.Output<string>;
  /** Per host: each shadow reads its own replica. */
  databaseUrls?: Record<string, pulumi.Output<string>>;
  after: pulumi.Resource[];
  platform: Platform;
  /** The URN of the service's group in the other role (see InstanceGroupArgs.otherRoleParent). */
  otherRoleParent?: pulumi.Input<string>;
}

/** M passive understudies of a service: same artifact, UNDERSTUDY_ROLE=shadow, on other hosts. */
export class ShadowPool extends pulumi.ComponentResource {
  readonly endpoints: Endpoint[];
  readonly hosts: pulumi.Output<string[]>;

  constructor(name: string, args: ShadowPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:ShadowPool", name, {}, opts);
    this.endpoints = args.platform.instances({ service: args.service, role: "shadow", hosts: args.hosts, databaseUrl: args.databaseUrl, databaseUrls: args.databaseUrls, after: args.after, otherRoleParent: args.otherRoleParent }, this).endpoints;
    this.hosts = pulumi.output(args.hosts);
    this.registerOutputs({ hosts: this.hosts });
  }
}
