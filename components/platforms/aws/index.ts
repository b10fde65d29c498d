// The aws platform: an Auto Scaling group per pool in its own zones, an ALB with weighted,
// health-checked target groups, Envoy sidecars for mirroring, RDS with read replicas in the shadows' zones.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, StackSpec } from "../../config";
import { InstanceGroupArgs, LoadBalancerArgs, Platform, ReplicationArgs, StoreArgs } from "../../platform";
import { AwsFoundation, createFoundation } from "./foundation";
import { createPool, PoolTargets } from "./pools";
import { createReplication } from "./replication";
import { createRouting } from "./routing";
import { parseAwsSettings } from "./settings";
import { createStore, StoreRegistry } from "./store";

export function awsPlatform(spec: StackSpec, raw: Record<string, unknown> = pulumi.runtime.allConfig()): Platform {
  const s = parseAwsSettings(raw);
  const stores = new StoreRegistry();
  const pools = new Map<string, PoolTargets>();
  let foundation: AwsFoundation | undefined;
  const base = (): AwsFoundation => {
    if (!foundation) throw new Error("aws platform: foundation() must run before the services");
    return foundation;
  };
  return {
    name: "aws",
    foundation(_spec: StackSpec, parent: pulumi.Resource) {
      foundation = createFoundation(s, parent);
      // No Prometheus of our own on aws: instance, ALB and RDS metrics are CloudWatch's, read by the
      // runtime through GetMetricData (runtime/cloudwatch.ts: cloudWatchSourceFor).
      if (!s.region) throw new ConfigError("aws:region", "the aws platform needs a region (its resources and the runtime's CloudWatch and RDS clients): set aws:region or AWS_REGION");
      return { prometheusUrl: pulumi.output(`cloudwatch://${s.region}`) };
    },
    store: (args: StoreArgs, parent: pulumi.Resource) => createStore(s, base(), args, stores, parent),
    instances(args: InstanceGroupArgs, parent: pulumi.Resource) {
      const p = createPool(s, base(), spec.loadBalancer, stores, args, parent);
      if (p.targets) pools.set(`${args.service.name}/${args.role}`, p.targets);
      return p.group;
    },
    loadBalancer(args: LoadBalancerArgs, parent: pulumi.Resource) {
      const svc = args.service;
      const live = pools.get(`${svc.name}/live`);
      if (!live) throw new Error(`aws platform: the live pool of '${svc.name}' must be declared before its load balancer`);
      const priority = 100 + spec.services.findIndex((x) => x.name === svc.name);
      return createRouting(s, base(), { lb: args, priority, live, shadow: pools.get(`${svc.name}/shadow`) }, parent);
    },
    replication: (args: ReplicationArgs, parent: pulumi.Resource) => createReplication(args, stores, parent),
  };
}
