// A real Kubernetes control plane on loopback for tests: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler (the real one: it places every pod) and kwok (fake nodes whose pods are reported
// Running and Ready, so Deployments roll out, Jobs complete and Pulumi's await logic is exercised).
// Binaries come from scripts/k8s-toolchain.sh (.toolchain/k8s/bin); each test file passes its own
// port block so files running in parallel never meet. CRDs installed: Gateway API (standard channel)
// and CloudNativePG, as their projects ship them.
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./stack";

export const K8S_BIN = path.join(ROOT, ".toolchain", "k8s", "bin");
export const K8S_CRDS = path.join(ROOT, ".toolchain", "k8s", "crds");

export interface KubeNode {
  name: string;
  zone?: string;
}

export interface KubeClusterOptions {
  /** Folder name under .understudy/k8s/. */
  name: string;
  /** Six consecutive ports from here: etcd client, etcd peer, apiserver, controller-manager, scheduler, kwok. */
  basePort: number;
  nodes: KubeNode[];
  /** Where kwok allocates pod IPs (default 10.244.0.0/16: not routable here). */
  podCidr?: string;
}

export interface KubeCluster {
  dir: string;
  kubeconfig: string;
  server: string;
  /** kubectl against this cluster; throws with kubectl's stderr on failure. */
  kubectl(args: string[], input?: string): string;
  json<T>(args: string[]): T;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, logs: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`kube test cluster: ${what} not ready after ${timeoutMs} ms; logs in ${logs}`);
    await sleep(200);
  }
}

function certs(pki: string, kubeconfig: string, server: string): void {
  fs.mkdirSync(pki, { recursive: true });
  if (!fs.existsSync(path.join(pki, "sa.pub"))) {
    const sh = `set -e; cd '${pki}'
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=understudy-test-ca" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
printf "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\\nextendedKeyUsage=serverAuth\\n" > apiserver.ext
openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=admin" 2>/dev/null
printf "extendedKeyUsage=clientAuth\\n" > client.ext
openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 -extfile client.ext 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null`;
    execFileSync("bash", ["-c", sh]);
  }
  fs.writeFileSync(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: test, cluster: {server: "${server}", certificate-authority: ${pki}/ca.crt}}]`,
      `users: [{name: admin, user: {client-certificate: ${pki}/admin.crt, client-key: ${pki}/admin.key}}]`,
      "contexts: [{name: test, context: {cluster: test, user: admin}}]",
      "current-context: test",
      "",
    ].join("\n"),
  );
}

function nodeManifest(n: KubeNode): object {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: n.name,
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
      labels: { "kubernetes.io/hostname": n.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", ...(n.zone ? { "topology.kubernetes.io/zone": n.zone } : {}) },
    },
    status: { allocatable: { cpu: "8", memory: "16Gi", pods: "110" }, capacity: { cpu: "8", memory: "16Gi", pods: "110" } },
  };
}

/** Kills what a previous run of the same cluster left (a test process killed mid-run). */
function killLeftovers(dir: string): void {
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((x) => x.endsWith(".pid")) : []) {
    const pid = Number(fs.readFileSync(path.join(dir, f), "utf8"));
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    fs.rmSync(path.join(dir, f));
  }
}

export async function startKubeCluster(o: KubeClusterOptions): Promise<KubeCluster> {
  for (const b of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok", "kubectl"]) {
    if (!fs.existsSync(path.join(K8S_BIN, b))) throw new Error(`${b} is missing from ${K8S_BIN}: run 'bash scripts/k8s-toolchain.sh' (npm test runs it)`);
  }
  const dir = path.join(ROOT, ".understudy", "k8s", o.name);
  killLeftovers(dir);
  const logs = path.join(dir, "logs");
  fs.rmSync(path.join(dir, "etcd-data"), { recursive: true, force: true });
  fs.mkdirSync(logs, { recursive: true });
  const pki = path.join(dir, "pki");
  const kubeconfig = path.join(dir, "kubeconfig");
  const [etcdClient, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = [0, 1, 2, 3, 4, 5].map((i) => o.basePort + i);
  const server = `https://127.0.0.1:${apiPort}`;
  certs(pki, kubeconfig, server);
  const kwokConfig = path.join(dir, "kwok-stages.yaml");
  fs.copyFileSync(path.join(ROOT, "tools", "k8s", "kwok-stages.yaml"), kwokConfig);

  const procs: { name: string; p: ChildProcess }[] = [];
  const start = (name: string, args: string[]): void => {
    const out = fs.openSync(path.join(logs, `${name}.log`), "w");
    const p = spawn(path.join(K8S_BIN, name), args, { stdio: ["ignore", out, out], detached: true });
    fs.closeSync(out);
    fs.writeFileSync(path.join(dir, `${name}.pid`), String(p.pid));
    p.unref();
    procs.push({ name, p });
  };
  const kubectl = (args: string[], input?: string): string => {
    try {
      return execFileSync(path.join(K8S_BIN, "kubectl"), ["--kubeconfig", kubeconfig, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], timeout: 120_000 });
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new Error(`kubectl ${args.join(" ")}: ${err.stderr?.trim() || err.message}`);
    }
  };
  const stop = async (): Promise<void> => {
    for (const { p, name } of procs.reverse()) {
      if (p.exitCode !== null || p.pid === undefined) continue;
      try {
        process.kill(p.pid, "SIGTERM");
      } catch {
        continue;
      }
      const deadline = Date.now() + 10_000;
      while (p.exitCode === null && p.signalCode === null && Date.now() < deadline) await sleep(100);
      if (p.exitCode === null && p.signalCode === null) process.kill(p.pid, "SIGKILL");
      fs.rmSync(path.join(dir, `${name}.pid`), { force: true });
    }
  };
  try {
    start("etcd", [
      "--name=test", `--data-dir=${path.join(dir, "etcd-data")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`, "--unsafe-no-fsync", "--listen-metrics-urls=",
    ]);
    await until("etcd", async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, 30_000, logs);
    start("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`, "--bind-address=127.0.0.1", `--secure-port=${apiPort}`, "--advertise-address=127.0.0.1",
      "--service-cluster-ip-range=10.96.0.0/16", `--tls-cert-file=${pki}/apiserver.crt`, `--tls-private-key-file=${pki}/apiserver.key`,
      `--client-ca-file=${pki}/ca.crt`, `--service-account-key-file=${pki}/sa.pub`, `--service-account-signing-key-file=${pki}/sa.key`,
      "--service-account-issuer=https://kubernetes.default.svc", "--authorization-mode=Node,RBAC", "--allow-privileged=true",
      "--endpoint-reconciler-type=none",
    ]);
    await until("kube-apiserver", () => kubectl(["get", "--raw", "/readyz"]).trim() === "ok", 90_000, logs);
    const common = [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
    start("kube-controller-manager", [
      ...common, `--secure-port=${kcmPort}`, `--service-account-private-key-file=${pki}/sa.key`, `--root-ca-file=${pki}/ca.crt`,
      `--cluster-signing-cert-file=${pki}/ca.crt`, `--cluster-signing-key-file=${pki}/ca.key`, "--use-service-account-credentials=true",
      // Every controller, node lifecycle included: the apiserver's admission taints a new node
      // node.kubernetes.io/not-ready and only that controller lifts the taint once kwok reports Ready.
    ]);
    start("kube-scheduler", [...common, `--secure-port=${schedPort}`]);
    start("kwok", [
      `--kubeconfig=${kubeconfig}`, `--config=${kwokConfig}`, "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
      "--manage-nodes-with-label-selector=", "--disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom",
      `--cidr=${o.podCidr ?? "10.244.0.0/16"}`, "--node-ip=127.0.0.1", `--server-address=127.0.0.1:${kwokPort}`,
    ]);
    await until("the default service account", () => kubectl(["get", "serviceaccount", "default", "-o", "name"]).trim() !== "", 90_000, logs);
    kubectl(["apply", "-f", "-"], o.nodes.map((n) => JSON.stringify(nodeManifest(n))).join("\n"));
    await until(`${o.nodes.length} nodes Ready`, () => kubectl(["get", "nodes", "--no-headers"]).split("\n").filter((l) => / Ready /.test(l)).length === o.nodes.length, 60_000, logs);
    for (const crds of ["gateway-api", "cloudnative-pg"]) kubectl(["apply", "--server-side", "-f", path.join(K8S_CRDS, crds)]);
    kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    kubeconfig,
    server,
    kubectl,
    json: <T>(args: string[]) => JSON.parse(kubectl([...args, "-o", "json"])) as T,
    stop,
  };
}
