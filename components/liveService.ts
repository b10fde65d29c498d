import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./config";
import { Endpoint, Platform } from "./platform";

export interface LiveServiceArgs {
  service: ServiceSpec;
  hosts: string[];
  databaseUrl?: pulumi.Output<string>;
  after: pulumi.Resource[];
  platform: Platform;
  /** The URN of the service's group in the other role (see InstanceGroupArgs.otherRoleParent). */
  otherRoleParent?: pulumi.Input<string>;
}

/** N live instances of a service, one per host. */
export class LiveService extends pulumi.ComponentResource {
  readonly endpoints: Endpoint[];
  readonly hosts: pulumi.Output<string[]>;

  constructor(name: string, args: LiveServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:LiveService", name, {}, opts);
    this.endpoints = args.platform.instances({ service: args.service, role: "live", hosts: args.hosts, databaseUrl: args.databaseUrl, after: args.after, otherRoleParent: args.otherRoleParent }, this).endpoints;
    this.hosts = pulumi.output(args.hosts);
    this.registerOutputs({ hosts: this.hosts });
  }
}
