// The kubernetes platform: Deployments kept apart by pod anti-affinity, a Gateway API HTTPRoute with
// weights and request mirroring, CloudNativePG stores with logical replication, PodMonitors.
import * as pulumi from "@pulumi/pulumi";
import { StackSpec } from "../../config";
import { InstanceGroupArgs, LoadBalancerArgs, Platform, ReplicationArgs, StoreArgs } from "../../platform";
import { createFoundation } from "./foundation";
import { createReplication } from "./replication";
import { createRoute } from "./route";
import { parseKubernetesSettings } from "./settings";
import { createStore, StoreRegistry } from "./store";
import { createPool } from "./workloads";

export function kubernetesPlatform(raw: Record<string, unknown> = pulumi.runtime.allConfig()): Platform {
  const s = parseKubernetesSettings(raw);
  const stores = new StoreRegistry();
  // Every namespaced object waits for the namespace, and routes for the Gateway, made by foundation().
  let base: pulumi.Resource[] = [];
  let gateway: pulumi.Resource[] = [];
  return {
    name: "kubernetes",
    foundation(_spec: StackSpec, parent: pulumi.Resource) {
      const f = createFoundation(s, parent);
      base = [f.namespace];
      gateway = [f.gateway];
      return { prometheusUrl: pulumi.output(s.prometheusUrl) };
    },
    store: (args: StoreArgs, parent: pulumi.Resource) => createStore(s, args, stores, parent, base),
    instances: (args: InstanceGroupArgs, parent: pulumi.Resource) => createPool(s, args, { appSecretOf: (url) => `${stores.of(url).cluster}-app`, after: base }, parent),
    loadBalancer: (args: LoadBalancerArgs, parent: pulumi.Resource) => createRoute(s, args, s.prometheusUrl, parent, gateway),
    replication: (args: ReplicationArgs, parent: pulumi.Resource) => createReplication(s, args, stores, parent),
  };
}
