// What a real cluster would run and kwok does not: kwok nodes start no containers and no
// CloudNativePG operator runs here (its image cannot be had). The test stands in for exactly two
// things, and nothing above them:
// - the containers' /metrics: for every pod the API server reports with an IP, a server on that IP
//   (inside the pod network's namespace, podNetwork.ts) answers Prometheus with the series the demo
//   service and CloudNativePG's exporter (with understudy's custom queries) produce, at rates the test
//   sets per instance. Prometheus finds these pods by its own Kubernetes service discovery against the
//   API server and labels them with the project's relabelling;
// - the operator's instance pods: one pod per CloudNativePG Cluster object, labelled as the operator
//   labels them (cnpg.io/cluster plus the Cluster's inheritedMetadata), removed when the Cluster goes.
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";
import { CNPG_METRICS_PORT } from "../../../components/platforms/kubernetes/metrics";
import { LABEL_HOST, LABEL_INSTANCE, LABEL_ROLE, LABEL_SERVICE } from "../../../components/platforms/kubernetes/names";
import type { KubeCluster } from "../../helpers/kubeCluster";
import type { InstanceLoad, PodEndpoint, PodMetricsState, StoreReport } from "./podMetrics";
import type { PodNetwork } from "./podNetwork";

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { containers: { ports?: { containerPort: number }[] }[] };
  status: { podIP?: string; phase?: string };
}

interface CnpgCluster {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { inheritedMetadata?: { labels?: Record<string, string> } };
}

export interface StandIns {
  /** Sets what one instance (understudy.io/instance) reports; others report 20 req/s at 0.3 CPU. */
  setLoad(instance: string, load: InstanceLoad | undefined): void;
  store: StoreReport;
  stop(): Promise<void>;
}

export async function startStandIns(cluster: KubeCluster, namespace: string, network: PodNetwork, subscriptionOf: (host: string) => string): Promise<StandIns> {
  const load: Record<string, InstanceLoad> = {};
  const store: StoreReport = { walPosition: 5_000_000, lagSeconds: 0.2, receivedBytes: 5_000_000, pendingBytes: 0 };
  let pods: PodEndpoint[] = [];
  let subscriptions: string[] = [];
  let stopped = false;
  const [cmd, ...args] = network.exec;
  const child: ChildProcess = spawn(cmd, [...args, process.execPath, path.join(__dirname, "podMetricsServer.js")], { stdio: ["pipe", "pipe", "inherit"] });
  let serving: string[] = [];
  readline.createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (l) => {
    serving = (JSON.parse(l) as { serving: string[] }).serving;
  });
  const send = (): void => {
    const state: PodMetricsState = { pods, load, store, subscriptions };
    child.stdin?.write(`${JSON.stringify(state)}\n`);
  };

  function reconcile(): void {
    const list = cluster.json<{ items: Pod[] }>(["get", "pods", "-n", namespace]).items;
    const clusters = cluster.json<{ items: CnpgCluster[] }>(["get", "clusters.postgresql.cnpg.io", "-n", namespace]).items;
    subscriptions = cluster.json<{ items: { spec: { name: string } }[] }>(["get", "subscriptions.postgresql.cnpg.io", "-n", namespace]).items.map((s) => s.spec.name);
    // The operator's part: an instance pod per Cluster, gone with its Cluster.
    const live = new Set(clusters.filter((c) => !c.metadata.deletionTimestamp).map((c) => c.metadata.name));
    for (const c of clusters) {
      if (!live.has(c.metadata.name) || list.some((p) => p.metadata.labels?.["cnpg.io/cluster"] === c.metadata.name)) continue;
      const labels = { ...(c.spec.inheritedMetadata?.labels ?? {}), "cnpg.io/cluster": c.metadata.name, "cnpg.io/instanceName": `${c.metadata.name}-1` };
      cluster.kubectl(["apply", "-n", namespace, "-f", "-"], JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `${c.metadata.name}-1`, labels },
        spec: { containers: [{ name: "postgres", image: "ghcr.io/cloudnative-pg/postgresql:16", ports: [{ name: "metrics", containerPort: CNPG_METRICS_PORT }] }] },
      }));
    }
    for (const p of list) {
      const owner = p.metadata.labels?.["cnpg.io/cluster"];
      if (owner && !live.has(owner) && !p.metadata.deletionTimestamp) cluster.kubectl(["delete", "pod", p.metadata.name, "-n", namespace, "--wait=false"]);
    }
    pods = list
      .filter((p) => !p.metadata.deletionTimestamp && p.status.phase === "Running" && p.status.podIP && p.metadata.labels?.[LABEL_SERVICE])
      .map((p) => {
        const labels = p.metadata.labels ?? {};
        const isStore = labels["cnpg.io/cluster"] !== undefined;
        return {
          name: p.metadata.name,
          ip: p.status.podIP as string,
          port: isStore ? CNPG_METRICS_PORT : (p.spec.containers[0]?.ports?.[0]?.containerPort ?? 0),
          instance: labels[LABEL_INSTANCE],
          store: isStore ? { primary: labels[LABEL_ROLE] === "primary", subscription: subscriptionOf(labels[LABEL_HOST]) } : undefined,
        };
      })
      .filter((p) => p.port > 0);
    send();
  }

  reconcile();
  const deadline = Date.now() + 30_000;
  while (pods.some((p) => !serving.includes(`${p.ip}:${p.port}`))) {
    if (Date.now() > deadline) throw new Error(`pod metrics stand-ins: not serving ${pods.map((p) => p.ip).join(", ")} after 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 1000));
      if (stopped) break;
      try {
        reconcile();
      } catch {
        // the API server is busy (an `up` in flight): next round
      }
    }
  })();
  return {
    setLoad(instance, l) {
      if (l) load[instance] = l;
      else delete load[instance];
      send();
    },
    store,
    async stop() {
      stopped = true;
      await loop;
      child.stdin?.end();
      await new Promise((r) => child.once("exit", r));
    },
  };
}
