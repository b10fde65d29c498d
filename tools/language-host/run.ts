// LanguageRuntime.Run: runs the Pulumi program with @pulumi/pulumi/cmd/run under node, as the Go host does.
import { spawn } from "child_process";
import type { RunRequest } from "@pulumi/pulumi/proto/language_pb";
import {
  EXIT_AFTER_USER_ACTIONABLE_MESSAGE,
  debug,
  errorMessage,
  locateModule,
  lookPath,
  parseOptions,
  shellSplit,
  typescriptEnv,
} from "./util";

export interface RunResult {
  error: string;
  bail: boolean;
}

const OOM_MESSAGE =
  "Detected a possible out of memory error. Consider increasing the memory available to the nodejs process " +
  "by setting the `nodeargs` runtime option in Pulumi.yaml to `nodeargs: --max-old-space-size=<size>` where " +
  "`<size>` is the maximum memory in megabytes that can be allocated to nodejs. " +
  "See https://www.pulumi.com/docs/concepts/projects/project-file/#runtime-options";

/** Lines in node's stderr that mean it ran out of memory (the second one hides the first when inspected). */
const OOM_MARKERS = ["<--- Last few GCs --->", "Check failed: needs_context && current_scope_ == closure_scope_"];

/** How long a cancelled program gets to react to SIGINT before it is killed (the Go host's WaitDelay). */
const CANCEL_GRACE_MS = 5000;

/**
 * Config keys reach the program in the legacy `<namespace>:config:<name>` form, which every @pulumi/pulumi
 * understands (Go host's constructConfig).
 */
function legacyConfig(config: Map<string, string>): string {
  const out: Record<string, string> = {};
  for (const [key, value] of config) {
    const parts = key.split(":");
    if (parts.length === 2) {
      out[`${parts[0]}:config:${parts[1]}`] = value;
    } else if (parts.length === 3 && parts[1] === "config" && parts[0] !== "" && parts[2] !== "") {
      out[key] = value;
    } else {
      throw new Error(
        `could not parse ${key} as a configuration key (configuration keys should be of the form \`<namespace>:<name>\`)`,
      );
    }
  }
  return JSON.stringify(out);
}

/** The runner's command line; flags mirror the Go host's constructArguments. */
function runnerArgs(req: RunRequest, runPath: string, engineAddress: string, tracing: string): string[] {
  const args = [runPath];
  const maybeAppend = (flag: string, value: string) => {
    if (value !== "") args.push(`--${flag}`, value);
  };
  const info = req.getInfo();
  maybeAppend("monitor", req.getMonitorAddress());
  maybeAppend("engine", engineAddress);
  maybeAppend("organization", req.getOrganization());
  maybeAppend("project", req.getProject());
  maybeAppend("root-directory", info?.getRootDirectory() ?? "");
  maybeAppend("stack", req.getStack());
  maybeAppend("pwd", info?.getProgramDirectory() ?? "");
  if (req.getDryrun()) args.push("--dry-run");
  maybeAppend("parallel", String(req.getParallel()));
  maybeAppend("tracing", tracing);
  // The engine always names an entry point, "." for the program directory itself.
  args.push(info?.getEntryPoint() ?? ".", ...req.getArgsList());
  return args;
}

export interface RunContext {
  engineAddress: string;
  tracing: string;
  /** Aborted by the Cancel RPC or when the engine drops the Run call. */
  signal: AbortSignal;
}

/**
 * Runs the program to completion and reports the outcome the way the Go host does: exit 0 is success, exit 32
 * means the program already printed an actionable error (bail), anything else is a "non-zero exit code" error.
 *
 * The Go host additionally proxies the resource monitor and serves "synchronous invoke" pipes (--sync); the
 * @pulumi/pulumi SDK in this repo never opens those pipes, so the program talks to the engine's monitor directly.
 */
export async function runProgram(req: RunRequest, ctx: RunContext): Promise<RunResult> {
  const fail = (error: string): RunResult => ({ error, bail: false });
  const info = req.getInfo();
  const programDir = info?.getProgramDirectory() ?? req.getPwd();

  let nodeBin: string;
  try {
    nodeBin = lookPath("node");
  } catch (err) {
    return fail(`could not find node on the $PATH: ${errorMessage(err)}`);
  }

  let runPath: string;
  let config: string;
  let nodeArgs: string[];
  const env: NodeJS.ProcessEnv = { ...process.env };
  try {
    runPath = locateModule(process.env.PULUMI_LANGUAGE_NODEJS_RUN_PATH || "@pulumi/pulumi/cmd/run", programDir, false);
    config = legacyConfig(new Map(req.getConfigMap().toObject()));
    const opts = parseOptions(info);
    for (const kv of typescriptEnv(opts)) {
      const eq = kv.indexOf("=");
      env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    nodeArgs = shellSplit(opts.nodeargs);
  } catch (err) {
    return fail(errorMessage(err));
  }
  if (req.getAttachDebugger()) {
    return fail("attaching a debugger is not supported by this language host");
  }
  env.PULUMI_CONFIG = config;
  env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(req.getConfigsecretkeysList());

  const args = [...nodeArgs, ...runnerArgs(req, runPath, ctx.engineAddress, ctx.tracing)];
  debug(5, `Language host launching process: ${nodeBin} ${args.join(" ")}`);

  return new Promise<RunResult>((resolve) => {
    const child = spawn(nodeBin, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let oom = false;
    let stderrTail = "";
    child.stdout.pipe(process.stdout, { end: false });
    child.stderr.on("data", (chunk: Buffer) => {
      process.stderr.write(chunk);
      if (oom) return;
      // Keep the last partial line so markers split across chunks are still seen.
      const text = stderrTail + chunk.toString("utf8");
      oom = OOM_MARKERS.some((m) => text.includes(m));
      stderrTail = text.slice(-200);
    });

    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill("SIGINT");
      killTimer = setTimeout(() => child.kill("SIGKILL"), CANCEL_GRACE_MS);
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    child.on("error", (err) => {
      ctx.signal.removeEventListener("abort", onAbort);
      resolve(fail(`Problem executing program (could not run language executor): ${err.message}`));
    });
    // "close" (not "exit") so all of the program's output has been forwarded before the engine hears back.
    child.on("close", (code) => {
      ctx.signal.removeEventListener("abort", onAbort);
      clearTimeout(killTimer);
      // Go reports -1 for a process killed by a signal.
      const exitCode = code ?? -1;
      if (exitCode === 0) resolve({ error: "", bail: false });
      else if (exitCode === EXIT_AFTER_USER_ACTIONABLE_MESSAGE) resolve({ error: "", bail: true });
      else {
        const message = `Program exited with non-zero exit code: ${exitCode}`;
        resolve(fail(oom ? `${message}. ${OOM_MESSAGE}` : message));
      }
    });
  });
}
