// The embedded default platform: real processes on one machine, each host its own loopback address.
import * as pulumi from "@pulumi/pulumi";
import { StackSpec } from "../../config";
import { InstanceGroupArgs, LoadBalancerArgs, Platform, ReplicationArgs, StoreArgs } from "../../platform";
import { localContext } from "./context";
import { createFoundation } from "./foundation";
import { createInstances } from "./instances";
import { createLoadBalancer } from "./loadBalancer";
import { createReplication } from "./replication";
import { createStore } from "./store";

export function localPlatform(root: string, stack: string, spec: StackSpec): Platform {
  const c = localContext(root, stack, spec.hosts);
  // Everything local waits for the supervisor daemon, created by foundation() before the rest.
  let base: pulumi.Resource[] = [];
  return {
    name: "local",
    foundation(s: StackSpec, parent: pulumi.Resource) {
      const f = createFoundation(c, s, parent);
      base = [f.supervisor];
      return { prometheusUrl: f.prometheusUrl };
    },
    store: (args: StoreArgs, parent: pulumi.Resource) => createStore(c, args, parent, base),
    instances: (args: InstanceGroupArgs, parent: pulumi.Resource) => createInstances(c, args, parent, base),
    loadBalancer: (args: LoadBalancerArgs, parent: pulumi.Resource) => createLoadBalancer(c, spec.loadBalancer, args, parent, base),
    replication: (args: ReplicationArgs, parent: pulumi.Resource) => createReplication(c, args, parent, base),
  };
}
