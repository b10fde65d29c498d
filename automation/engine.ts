// The Pulumi engine, offline: the CLI built into .toolchain/, a file:// backend and a passphrase
// secrets provider under .understudy/, no update checks and no plugin downloads. Every flow (the
// main job, the runner, the tests) opens stacks through here. A runner in a cluster gets its backend,
// passphrase, PULUMI_HOME and work dir from the environment instead (Pulumi's own variable names,
// plus UNDERSTUDY_WORKDIR): see components/platforms/kubernetes/runner.ts.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { InlineProgramArgs, LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parseStackConfig, StackSpec } from "../components/config";
import { understudyProgram } from "../components/program";

export interface EngineOptions {
  /** Project root: holds Pulumi.yaml, dist/, node_modules/ and .toolchain/. */
  root: string;
  stack: string;
  /** Where Pulumi.yaml and Pulumi.<stack>.yaml live (default: UNDERSTUDY_WORKDIR, else root). Must be inside root. */
  workDir?: string;
  /** Where the file backend keeps state (default: <root>/.understudy/state). */
  stateDir?: string;
}

export const PULUMI_VERSION = "3.259.0";

/**
 * The secrets passphrase: PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when set (a
 * runner pod mounts it from a Secret), else the checkout's own, generated once and kept out of git.
 * Never printed.
 */
export function passphrase(root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PULUMI_CONFIG_PASSPHRASE) return env.PULUMI_CONFIG_PASSPHRASE;
  if (env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    const given = env.PULUMI_CONFIG_PASSPHRASE_FILE;
    if (!fs.existsSync(given)) throw new Error(`PULUMI_CONFIG_PASSPHRASE_FILE names ${given}, which does not exist: mount the passphrase Secret there or unset the variable`);
    return fs.readFileSync(given, "utf8").trim();
  }
  const file = path.join(root, ".understudy", "passphrase");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
  }
  return fs.readFileSync(file, "utf8").trim();
}

/** The backend: an explicit stateDir (tests), else PULUMI_BACKEND_URL when set, else .understudy/state. */
function backendUrl(o: EngineOptions, env: NodeJS.ProcessEnv): string {
  if (!o.stateDir && env.PULUMI_BACKEND_URL) return env.PULUMI_BACKEND_URL;
  const stateDir = o.stateDir ?? path.join(o.root, ".understudy", "state");
  fs.mkdirSync(stateDir, { recursive: true });
  return `file://${stateDir}`;
}

export function engineEnv(o: EngineOptions, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    PULUMI_HOME: env.PULUMI_HOME ?? path.join(o.root, ".understudy", "pulumi-home"),
    PULUMI_BACKEND_URL: backendUrl(o, env),
    PULUMI_CONFIG_PASSPHRASE: passphrase(o.root, env),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    UNDERSTUDY_ROOT: o.root,
    // The dynamic-provider plugin script ships inside @pulumi/pulumi; the CLI finds plugins on PATH.
    PATH: [path.join(o.root, ".toolchain", "bin"), path.join(o.root, "node_modules", "@pulumi", "pulumi"), process.env.PATH ?? ""].join(":"),
  };
}

export async function pulumiCommand(root: string): Promise<PulumiCommand> {
  const bin = path.join(root, ".toolchain", "bin", "pulumi");
  if (!fs.existsSync(bin)) throw new Error(`the Pulumi CLI is missing at ${bin}: run 'npm run setup' to build it`);
  return PulumiCommand.get({ root: path.join(root, ".toolchain"), skipVersionCheck: false });
}

/**
 * Validate the stack's config as the program will, before asking the engine for anything: a bad
 * config is refused with the key and the rule, and no operation starts.
 */
export async function preflight(stack: Stack): Promise<StackSpec> {
  const all = await stack.getAllConfig();
  return parseStackConfig(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value])));
}

/** Open (or create) a stack whose program is understudy's, run in-process (inline program). */
export async function openStack(o: EngineOptions): Promise<Stack> {
  const workDir = o.workDir ?? process.env.UNDERSTUDY_WORKDIR ?? o.root;
  const args: InlineProgramArgs = {
    stackName: o.stack,
    projectName: "understudy",
    program: async () => understudyProgram(o.root),
  };
  return LocalWorkspace.createOrSelectStack(args, {
    workDir,
    pulumiCommand: await pulumiCommand(o.root),
    envVars: engineEnv(o),
  });
}

/** The stack's settings as they are now, and a function that puts them back. */
export async function snapshotConfig(stack: Stack): Promise<() => Promise<void>> {
  const ws = stack.workspace as LocalWorkspace;
  const before = structuredClone(await ws.stackSettings(stack.name));
  return () => ws.saveStackSettings(stack.name, before);
}

/**
 * Write stack config in one go, objects as objects (the schema types `understudy:services` and
 * `understudy:policy` as objects, which `setConfig` can only store as strings): the stack file is
 * read, the keys replaced, and the file written back whole.
 */
export async function writeConfig(stack: Stack, entries: Record<string, unknown>): Promise<void> {
  const ws = stack.workspace as LocalWorkspace;
  const settings = await ws.stackSettings(stack.name);
  settings.config = { ...(settings.config ?? {}), ...(entries as Record<string, never>) };
  await ws.saveStackSettings(stack.name, settings);
}
