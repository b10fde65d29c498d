// The docker platform: a container per instance on its host's network, an HAProxy container per
// service, postgres containers with logical replication, and a Prometheus container.
import * as pulumi from "@pulumi/pulumi";
import { StackSpec } from "../../config";
import { InstanceGroupArgs, LoadBalancerArgs, Platform, ReplicationArgs, StoreArgs } from "../../platform";
import { createContainers } from "./containers";
import { createFoundation, DockerFoundation } from "./foundation";
import { createLoadBalancer } from "./loadBalancer";
import { dockerNames } from "./names";
import { createReplication } from "./replication";
import { parseDockerSettings } from "./settings";
import { createStore, StoreRegistry } from "./store";

export function dockerPlatform(stack: string, spec: StackSpec, raw: Record<string, unknown> = pulumi.runtime.allConfig()): Platform {
  const s = parseDockerSettings(raw);
  const n = dockerNames(stack);
  const stores = new StoreRegistry();
  let foundation: DockerFoundation | undefined;
  const base = (): DockerFoundation => {
    if (!foundation) throw new Error("docker platform: foundation() must run before the services");
    return foundation;
  };
  return {
    name: "docker",
    foundation(_spec: StackSpec, parent: pulumi.Resource) {
      foundation = createFoundation(s, spec, n, parent);
      return { prometheusUrl: pulumi.output(`http://${s.publishAddress}:${spec.prometheus.port}`) };
    },
    store: (args: StoreArgs, parent: pulumi.Resource) => createStore(s, base(), n, args, stores, parent),
    instances: (args: InstanceGroupArgs, parent: pulumi.Resource) => createContainers(s, base(), n, args, parent),
    loadBalancer: (args: LoadBalancerArgs, parent: pulumi.Resource) => createLoadBalancer(s, base(), n, spec, spec.loadBalancer, args, parent),
    replication: (args: ReplicationArgs, parent: pulumi.Resource) => createReplication(s, base(), n, args, stores, parent),
  };
}
