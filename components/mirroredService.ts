import * as pulumi from "@pulumi/pulumi";
import { placeService, replicaHosts, ServiceSpec } from "./config";
import { LiveService } from "./liveService";
import { LoadBalancer } from "./loadBalancer";
import { Platform, Store } from "./platform";
import { ReplicationStream } from "./replicationStream";
import { ShadowPool } from "./shadowPool";

export interface MirroredServiceArgs {
  service: ServiceSpec;
  hosts: string[];
  platform: Platform;
}

/**
 * One service of the stack: its store, live instances, shadow pool and load balancer; with shadows, a
 * store per shadow host fed by a replication stream from the primary, each shadow reading its own.
 */
export class MirroredService extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly liveHosts: pulumi.Output<string[]>;
  readonly shadowHosts: pulumi.Output<string[]>;

  constructor(name: string, args: MirroredServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:MirroredService", name, {}, opts);
    const svc = args.service;
    const placement = placeService(svc, args.hosts);
    const store = svc.store ? args.platform.store({ service: svc, host: svc.store.host }, this) : undefined;
    const replicas = replicaHosts(svc, placement).map((host) => ({ host, store: args.platform.store({ service: svc, host }, this) }));
    const replication =
      store && svc.store && replicas.length > 0
        ? new ReplicationStream(`${name}-replication`, { service: svc, primary: store, primaryHost: svc.store.host, replicas, platform: args.platform }, { parent: this })
        : undefined;
    // Sync mode: no write is acknowledged before a shadow can protect it, so live waits for the stream.
    const after = [...(store?.ready ?? []), ...(svc.replication.mode === "sync" ? (replication?.ready ?? []) : [])];
    // Each pool knows the other's URN: an instance changing role keeps its resource (see otherRoleParent).
    const liveUrn = pulumi.createUrn(`${name}-live`, "understudy:index:LiveService", this);
    const shadowUrn = pulumi.createUrn(`${name}-shadows`, "understudy:index:ShadowPool", this);
    const live = new LiveService(
      `${name}-live`,
      { service: svc, hosts: placement.live, databaseUrl: store?.url, after, platform: args.platform, otherRoleParent: shadowUrn },
      { parent: this },
    );
    // A shadow on the primary's own host (after a promotion) reads the primary; the others their replica.
    const own: Record<string, Store> = Object.fromEntries(replicas.map((r) => [r.host, r.store]));
    const databaseUrls = store ? Object.fromEntries(placement.shadows.map((h) => [h, (own[h] ?? store).url])) : undefined;
    const shadowAfter = [...(store?.ready ?? []), ...(replication?.ready ?? []), ...replicas.flatMap((r) => r.store.ready)];
    const shadows = new ShadowPool(
      `${name}-shadows`,
      { service: svc, hosts: placement.shadows, databaseUrl: store?.url, databaseUrls, after: shadowAfter, platform: args.platform, otherRoleParent: liveUrn },
      { parent: this },
    );
    const lb = new LoadBalancer(`${name}-lb`, { service: svc, live: live.endpoints, shadows: shadows.endpoints, platform: args.platform }, { parent: this });
    this.url = lb.url;
    this.liveHosts = live.hosts;
    this.shadowHosts = shadows.hosts;
    this.registerOutputs({ url: this.url, liveHosts: this.liveHosts, shadowHosts: this.shadowHosts });
  }
}
