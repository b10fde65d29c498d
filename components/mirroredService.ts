import * as pulumi from "@pulumi/pulumi";
import { placeService, ServiceSpec } from "./config";
import { LiveService } from "./liveService";
import { LoadBalancer } from "./loadBalancer";
import { Platform } from "./platform";
import { ShadowPool } from "./shadowPool";

export interface MirroredServiceArgs {
  service: ServiceSpec;
  hosts: string[];
  platform: Platform;
}

/** One service of the stack: its store, live instances, shadow pool and load balancer. */
export class MirroredService extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly liveHosts: pulumi.Output<string[]>;
  readonly shadowHosts: pulumi.Output<string[]>;

  constructor(name: string, args: MirroredServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:MirroredService", name, {}, opts);
    const svc = args.service;
    const placement = placeService(svc, args.hosts);
    const store = svc.store ? args.platform.store({ service: svc, host: svc.store.host }, this) : undefined;
    const after = store?.ready ?? [];
    const live = new LiveService(`${name}-live`, { service: svc, hosts: placement.live, databaseUrl: store?.url, after, platform: args.platform }, { parent: this });
    const shadows = new ShadowPool(`${name}-shadows`, { service: svc, hosts: placement.shadows, databaseUrl: store?.url, after, platform: args.platform }, { parent: this });
    const lb = new LoadBalancer(`${name}-lb`, { service: svc, live: live.endpoints, shadows: shadows.endpoints, platform: args.platform }, { parent: this });
    this.url = lb.url;
    this.liveHosts = live.hosts;
    this.shadowHosts = shadows.hosts;
    this.registerOutputs({ url: this.url, liveHosts: this.liveHosts, shadowHosts: this.shadowHosts });
  }
}
