import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "./config";
import { Endpoint, Platform } from "./platform";

export interface LoadBalancerArgs {
  service: ServiceSpec;
  live: Endpoint[];
  shadows: Endpoint[];
  platform: Platform;
}

/** Routes a service's clients: health checks, retries, live/shadow weights, shadows as fallback. */
export class LoadBalancer extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly metricsUrl: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:LoadBalancer", name, {}, opts);
    const h = args.platform.loadBalancer({ service: args.service, live: args.live, shadows: args.shadows }, this);
    this.url = h.url;
    this.metricsUrl = h.metricsUrl;
    this.registerOutputs({ url: this.url, metricsUrl: this.metricsUrl });
  }
}
