// The automation runner in the cluster, beside the stack it drives: a service account with exactly
// the rights the stack's `up` and the runtime need (runnerRbac.ts), the stack's config seeded onto a
// volume that also keeps the forecasters' state and (by default) the file backend, the passphrase
// from a Secret, one runner per stack (a Lease, and a CronJob that never overlaps itself), `tick` as
// a CronJob or `run` as a Deployment.
//
// Not part of the stack it drives (deploy/runner runs it as its own small program, by an admin):
// inside that stack the runner's `up` would manage its own Role (a runner that can rewrite its own
// rights has any right), its state would live on the volume the same state declares, and an `up`
// changing the runner's pod template would kill the runner in the middle of that `up`.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterRules, namespaceRules } from "./runnerRbac";
import { KubernetesSettings } from "./settings";
import { RunnerSettings } from "./runnerSettings";

export const RUNNER_NAME = "understudy-runner";
/** Where the image keeps the project (dist/, node_modules/, .toolchain/): the runner's ROOT. */
export const APP_DIR = "/app";
const STATE_DIR = `${APP_DIR}/.understudy`;
const WORK_DIR = `${STATE_DIR}/work`;
const SEED_DIR = "/etc/understudy/seed";
const PASSPHRASE_DIR = "/etc/understudy/passphrase";
/** The image's unprivileged user (deploy/images/runner/Dockerfile). */
const RUNNER_UID = 65532;
const METRICS_PORT = 19100;

export interface RunnerArgs {
  settings: KubernetesSettings;
  runner: RunnerSettings;
  /** The stack the runner drives. */
  stack: string;
  /** Its project file and stack config file, as text: seeded onto the volume (seed.ts). */
  projectFile: string;
  stackConfigFile: string;
  /** When given, the runner's Secret is created with it (a Pulumi secret); else that Secret must exist. */
  passphrase?: pulumi.Input<string>;
  /** Create the namespace (default true: the runner exists before the stack's first `up`). */
  createNamespace?: boolean;
}

export const leaseName = (stack: string): string => `${RUNNER_NAME}-${stack}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 63);

/** The runner's command line (cli.ts): one tick, or the loop. */
export function runnerArgs(a: Pick<RunnerArgs, "settings" | "runner" | "stack">): string[] {
  const r = a.runner;
  return [
    r.mode,
    "--stack", a.stack,
    "--lock", "lease",
    "--lease", leaseName(a.stack),
    "--lease-seconds", String(r.leaseSeconds),
    "--prometheus", a.settings.prometheusUrl,
    "--forecaster", r.forecaster,
    "--metrics-host", "0.0.0.0",
    "--metrics-port", String(METRICS_PORT),
    ...(r.mode === "run" ? ["--interval", String(r.intervalSec)] : []),
    ...(r.dryRun ? ["--dry-run"] : []),
  ];
}

export class Runner extends pulumi.ComponentResource {
  readonly serviceAccount: pulumi.Output<string>;
  readonly lease: string;
  /** The CronJob (tick) or Deployment (run) that runs it. */
  readonly workload: pulumi.Output<string>;

  constructor(name: string, args: RunnerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("understudy:index:Runner", name, {}, opts);
    const ns = args.settings.namespace;
    const r = args.runner;
    const labels = { "app.kubernetes.io/name": RUNNER_NAME, "app.kubernetes.io/part-of": "understudy", "understudy.io/stack": args.stack };
    const meta = (n: string) => ({ name: n, namespace: ns, labels });
    const after: pulumi.Resource[] = [];
    if (args.createNamespace ?? true) {
      // Same labels as the stack's own declaration (foundation.ts), so the stack's `up` finds nothing to change.
      after.push(new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "understudy" } } }, { parent: this }));
    }
    const o = { parent: this, dependsOn: after };
    this.lease = leaseName(args.stack);

    const sa = new k8s.core.v1.ServiceAccount(name, { metadata: meta(RUNNER_NAME) }, o);
    const subject = { kind: "ServiceAccount", name: RUNNER_NAME, namespace: ns };
    const role = new k8s.rbac.v1.Role(name, { metadata: meta(RUNNER_NAME), rules: namespaceRules(this.lease) }, o);
    new k8s.rbac.v1.RoleBinding(name, { metadata: meta(RUNNER_NAME), roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: RUNNER_NAME }, subjects: [subject] }, { ...o, dependsOn: [...after, role, sa] });
    // Cluster-scoped names must differ per namespace: two stacks' runners in one cluster.
    const clusterName = `${RUNNER_NAME}-${ns}`;
    const clusterRole = new k8s.rbac.v1.ClusterRole(`${name}-cluster`, { metadata: { name: clusterName, labels }, rules: clusterRules(ns) }, { parent: this });
    new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-cluster`,
      { metadata: { name: clusterName, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName }, subjects: [subject] },
      { parent: this, dependsOn: [clusterRole, sa] },
    );

    const secrets: pulumi.Resource[] = [];
    if (args.passphrase !== undefined) {
      secrets.push(
        new k8s.core.v1.Secret(`${name}-passphrase`, { metadata: meta(r.passphraseSecret), type: "Opaque", stringData: { passphrase: pulumi.secret(args.passphrase) } }, o),
      );
    }
    const seed = new k8s.core.v1.ConfigMap(
      `${name}-seed`,
      { metadata: meta(`${RUNNER_NAME}-seed`), data: { "Pulumi.yaml": args.projectFile, [`Pulumi.${args.stack}.yaml`]: args.stackConfigFile } },
      o,
    );
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-state`,
      { metadata: meta(`${RUNNER_NAME}-state`), spec: { accessModes: ["ReadWriteOnce"], storageClassName: r.volume.storageClass, resources: { requests: { storage: r.volume.size } } } },
      o,
    );

    const env = [
      { name: "UNDERSTUDY_WORKDIR", value: WORK_DIR },
      { name: "PULUMI_CONFIG_PASSPHRASE_FILE", value: `${PASSPHRASE_DIR}/passphrase` },
      ...(r.backendUrl ? [{ name: "PULUMI_BACKEND_URL", value: r.backendUrl }] : []),
    ];
    const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
    const mounts = [
      { name: "state", mountPath: STATE_DIR },
      { name: "tmp", mountPath: "/tmp" },
    ];
    const podSpec: k8s.types.input.core.v1.PodSpec = {
      serviceAccountName: RUNNER_NAME,
      securityContext: { runAsNonRoot: true, runAsUser: RUNNER_UID, runAsGroup: RUNNER_UID, fsGroup: RUNNER_UID, seccompProfile: { type: "RuntimeDefault" } },
      initContainers: [
        {
          name: "seed",
          image: r.image,
          command: ["node", `${APP_DIR}/dist/automation/runner/seed.js`, "--from", SEED_DIR, "--to", WORK_DIR, "--stack", args.stack],
          securityContext: hardened,
          volumeMounts: [...mounts, { name: "seed", mountPath: SEED_DIR, readOnly: true }],
        },
      ],
      containers: [
        {
          name: "runner",
          image: r.image,
          args: runnerArgs(args),
          env,
          envFrom: r.backendSecret ? [{ secretRef: { name: r.backendSecret } }] : undefined,
          ports: [{ name: "metrics", containerPort: METRICS_PORT }],
          // A tick fits the forecasters and runs the Pulumi engine and its Kubernetes provider.
          resources: { requests: { cpu: "250m", memory: "768Mi" }, limits: { memory: "2Gi" } },
          securityContext: hardened,
          volumeMounts: [...mounts, { name: "passphrase", mountPath: PASSPHRASE_DIR, readOnly: true }],
        },
      ],
      volumes: [
        { name: "state", persistentVolumeClaim: { claimName: claim.metadata.name } },
        { name: "tmp", emptyDir: {} },
        { name: "seed", configMap: { name: seed.metadata.name } },
        { name: "passphrase", secret: { secretName: r.passphraseSecret, defaultMode: 0o400 } },
      ],
    };
    const podMeta = { labels, annotations: args.settings.metrics === "annotations" ? { "prometheus.io/scrape": "true", "prometheus.io/port": String(METRICS_PORT) } : undefined };
    const deps = { ...o, dependsOn: [...after, sa, role, claim, seed, ...secrets] };
    if (r.mode === "tick") {
      const cron = new k8s.batch.v1.CronJob(
        name,
        {
          metadata: meta(RUNNER_NAME),
          spec: {
            schedule: r.schedule,
            // Never two ticks at once; a tick that missed its slot by more than a minute is skipped, not queued.
            concurrencyPolicy: "Forbid",
            startingDeadlineSeconds: 60,
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 3,
            jobTemplate: {
              metadata: { labels },
              // A failed tick is not retried: the next scheduled one starts from fresh observations.
              spec: { backoffLimit: 0, template: { metadata: podMeta, spec: { ...podSpec, restartPolicy: "Never" } } },
            },
          },
        },
        deps,
      );
      this.workload = pulumi.interpolate`cronjob/${cron.metadata.name}`;
    } else {
      const deployment = new k8s.apps.v1.Deployment(
        name,
        {
          metadata: meta(RUNNER_NAME),
          spec: {
            replicas: 1,
            // The old runner stops before the new one starts: one holder of the volume and the lease.
            strategy: { type: "Recreate" },
            selector: { matchLabels: labels },
            template: { metadata: podMeta, spec: podSpec },
          },
        },
        deps,
      );
      this.workload = pulumi.interpolate`deployment/${deployment.metadata.name}`;
    }
    this.serviceAccount = sa.metadata.name;
    this.registerOutputs({ serviceAccount: this.serviceAccount, lease: this.lease, workload: this.workload });
  }
}
