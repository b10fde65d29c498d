import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./config";
import { Endpoint, Platform } from "./platform";

export interface LiveServiceArgs {
  service: ServiceSpec;
  hosts: string[];
  databaseUrl?: pulumi.Output<string>;
  after: pulumi.Resource[];
  platform: Platform;
}

/** N live instances of a service, one per host. */
export class LiveService extends pulumi.ComponentResource {
  readonly endpoints: Endpoint[];
  readonly hosts: pulumi.Output<string[]>;

  constructor(name: string, args: LiveServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:LiveService", name, {}, opts);
    this.endpoints = args.platform.instances({ service: args.service, role: "live", hosts: args.hosts, databaseUrl: args.databaseUrl, after: args.after }, this).endpoints;
    this.hosts = pulumi.output(args.hosts);
    this.registerOutputs({ hosts: this.hosts });
  }
}
