// The runner's own small Pulumi program (project understudy-runner, stack <stack>-runner), run by an
// admin with the admin's cluster access: it reads the driven stack's config file (its
// `understudy:kubernetes.runner` settings, validated like the rest) and declares a Runner in that
// stack's namespace. Why a program of its own and not part of the stack: see
// components/platforms/kubernetes/runner.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, Stack, StackSettings } from "@pulumi/pulumi/automation";
import { ConfigError } from "../../components/config";
import { Runner } from "../../components/platforms/kubernetes/runner";
import { parseKubernetesSettings } from "../../components/platforms/kubernetes/settings";
import { engineEnv, passphrase, pulumiCommand } from "../../automation/engine";

export const RUNNER_PROJECT = "understudy-runner";
/** The admin's way into the cluster: kept for the runner's own stack, left out of the runner's copy. */
const CLUSTER_ACCESS_KEYS = ["kubernetes:kubeconfig", "kubernetes:context", "kubernetes:cluster"];

export interface DeployOptions {
  /** Project root (holds Pulumi.yaml, dist/, .toolchain/). */
  root: string;
  /** The stack the runner drives; its config is <configDir>/Pulumi.<stack>.yaml. */
  stack: string;
  /** Where Pulumi.<stack>.yaml lives (default: root). */
  configDir?: string;
  /** The runner stack's work dir (default .understudy/runner-deploy/<stack>). */
  workDir?: string;
  /** Its file backend (default: the engine's, .understudy/state or PULUMI_BACKEND_URL). */
  stateDir?: string;
}

/** The serialized stack file (Pulumi's key spellings), as JSON: YAML readers take it as it is. */
function stackFileText(s: StackSettings, config: Record<string, unknown>): string {
  const file: Record<string, unknown> = { secretsprovider: s.secretsProvider, encryptedkey: s.encryptedKey, encryptionsalt: s.encryptionSalt, config };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/** Opens (or creates) the runner's stack for the driven stack's config. */
export async function runnerStack(o: DeployOptions): Promise<Stack> {
  const configDir = o.configDir ?? o.root;
  const command = await pulumiCommand(o.root);
  const file = path.join(configDir, `Pulumi.${o.stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: the runner is deployed for an existing stack config`);
  const app = await LocalWorkspace.create({ workDir: configDir, pulumiCommand: command });
  const settings = await app.stackSettings(o.stack);
  const config = (settings.config ?? {}) as Record<string, unknown>;
  if (config["understudy:platform"] !== "kubernetes") throw new ConfigError("understudy:platform", `the runner runs in a cluster only for platform kubernetes, got ${JSON.stringify(config["understudy:platform"] ?? "local")}`);
  const k8s = parseKubernetesSettings(config);
  const runner = k8s.runner;
  if (!runner) throw new ConfigError("understudy:kubernetes.runner", `is not set in ${file}: nothing to deploy (see README, "Runner in a cluster")`);

  const seedConfig = Object.fromEntries(Object.entries(config).filter(([k]) => !CLUSTER_ACCESS_KEYS.includes(k)));
  // An inline program runs in the runner's process: the project file's `main` is not needed there.
  const projectFile = fs.readFileSync(path.join(o.root, "Pulumi.yaml"), "utf8").replace(/^main: .*\n/m, "");
  const stackConfigFile = stackFileText(settings, seedConfig);

  const name = `${o.stack}-runner`;
  const workDir = o.workDir ?? path.join(o.root, ".understudy", "runner-deploy", o.stack);
  fs.mkdirSync(workDir, { recursive: true });
  fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), `name: ${RUNNER_PROJECT}\nruntime: nodejs\ndescription: The understudy automation runner in the cluster of stack ${o.stack}.\n`);
  const access = Object.fromEntries(Object.entries(config).filter(([k]) => CLUSTER_ACCESS_KEYS.includes(k)));
  const program = async () => {
    const r = new Runner("runner", { settings: k8s, runner, stack: o.stack, projectFile, stackConfigFile, passphrase: passphrase(o.root) });
    return { serviceAccount: r.serviceAccount, lease: r.lease, workload: r.workload, namespace: k8s.namespace };
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: name, projectName: RUNNER_PROJECT, program },
    { workDir, pulumiCommand: command, envVars: engineEnv({ root: o.root, stack: name, stateDir: o.stateDir }) },
  );
  const ws = stack.workspace as LocalWorkspace;
  const none: StackSettings = {};
  const own = await ws.stackSettings(name).catch(() => none);
  await ws.saveStackSettings(name, { ...own, config: { ...(own.config ?? {}), ...access } });
  return stack;
}
