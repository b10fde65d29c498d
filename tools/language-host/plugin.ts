// LanguageRuntime.RunPlugin: runs a plugin written in nodejs (a policy pack, or a provider/tool plugin) with
// @pulumi/pulumi's run-policy-pack / run-plugin, streaming its output back to the engine (Go host's RunPlugin).
import { spawn } from "child_process";
import type { Writable } from "stream";
import type { RunPluginRequest } from "@pulumi/pulumi/proto/language_pb";
import { PolicyProxy } from "./policy-proxy";
import { debug, errorMessage, locateModule, lookPath, parseOptions, shellSplit, typescriptEnv } from "./util";

export interface PluginIO {
  stdout: Writable;
  stderr: Writable;
  /** Aborted when the engine drops the RunPlugin call, which is how it shuts plugins down. */
  signal: AbortSignal;
}

/** `KEY=value` entries into an environment object; later entries win, as with Go's exec.Cmd.Env. */
function toEnv(entries: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const kv of entries) {
    const eq = kv.indexOf("=");
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error("plugin run was cancelled"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Runs the plugin until it exits; rejects with the error the engine should see. */
export async function runPlugin(req: RunPluginRequest, engineAddress: string, io: PluginIO): Promise<void> {
  if (engineAddress === "") throw new Error("when debugging or running explicitly, must call Handshake before Run");
  const info = req.getInfo();
  const programDir = info?.getProgramDirectory() ?? "";
  const isPolicyPack = req.getKind() === "analyzer";
  debug(5, `Attempting to run nodejs plugin in ${programDir}`);

  const nodeBin = lookPath("node");
  const opts = parseOptions(info);
  const envEntries = [...req.getEnvList(), ...typescriptEnv(opts)];
  // Policy packs used to be started by a dedicated "pulumi-analyzer-policy" shim; run-policy-pack replaces it.
  const runner = isPolicyPack
    ? "@pulumi/pulumi/cmd/run-policy-pack"
    : process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run-plugin";
  const runPath = locateModule(runner, programDir, true);
  if (req.getAttachDebugger()) throw new Error("attaching a debugger is not supported by this language host");

  // Same order as the Go host: nodeargs follow the runner, and policy packs take their directory last.
  const args = [runPath, ...shellSplit(opts.nodeargs)];
  if (isPolicyPack) args.push(...req.getArgsList(), programDir);
  else args.push(programDir, ...req.getArgsList());

  const proxy = isPolicyPack ? new PolicyProxy() : undefined;
  try {
    if (proxy) {
      await proxy.start(io.stdout);
      const config = await untilAborted(proxy.configuration(), io.signal);
      if (config) {
        const maybeAppend = (key: string, value: string) => value !== "" && envEntries.push(`${key}=${value}`);
        maybeAppend("PULUMI_NODEJS_ORGANIZATION", config.getOrganization());
        maybeAppend("PULUMI_NODEJS_PROJECT", config.getProject());
        maybeAppend("PULUMI_NODEJS_STACK", config.getStack());
        maybeAppend("PULUMI_NODEJS_DRY_RUN", String(config.getDryRun()));
        const entries = config.getConfigMap().toObject();
        if (entries.length > 0) maybeAppend("PULUMI_CONFIG", JSON.stringify(Object.fromEntries(entries)));
      }
    }

    // Policy packs have always run from their own directory; other plugins from the engine's working directory.
    const cwd = isPolicyPack ? programDir : req.getPwd();
    debug(5, `Constructed NodeJS command to run: ${nodeBin} ${args.join(" ")} (in ${cwd})`);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(nodeBin, args, { cwd, env: toEnv(envEntries), stdio: ["ignore", "pipe", "pipe"] });
      const onAbort = () => child.kill("SIGKILL");
      io.signal.addEventListener("abort", onAbort, { once: true });
      child.stderr.pipe(io.stderr, { end: false });
      if (proxy) {
        proxy.attach(child.stdout, io.stdout).catch((err: unknown) => {
          child.kill("SIGKILL");
          reject(new Error(`could not attach policy pack proxy: ${errorMessage(err)}`));
        });
      } else {
        child.stdout.pipe(io.stdout, { end: false });
      }
      child.on("error", (err) =>
        reject(new Error(`Problem executing plugin program (could not run language executor): ${err.message}`)),
      );
      child.on("close", (code) => {
        io.signal.removeEventListener("abort", onAbort);
        if (code === 0) resolve();
        // Go reports -1 for a process killed by a signal.
        else reject(new Error(`Program exited with non-zero exit code: ${code ?? -1}`));
      });
    });
  } finally {
    proxy?.close();
  }
}
