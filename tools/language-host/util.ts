// Small helpers shared by the language host: runtime options, PATH lookup, module resolution, logging.
import * as fs from "fs";
import * as path from "path";
import type { ProgramInfo } from "@pulumi/pulumi/proto/language_pb";

/** Exit code with which @pulumi/pulumi's runners say "the user already saw an actionable error". */
export const EXIT_AFTER_USER_ACTIONABLE_MESSAGE = 32;

/** gRPC message size limit the Go host uses for all its channels (rpcutil.GrpcChannelOptions). */
export const MAX_RPC_MESSAGE_SIZE = 400 * 1024 * 1024;

export const grpcChannelOptions = {
  "grpc.max_receive_message_length": MAX_RPC_MESSAGE_SIZE,
  "grpc.max_send_message_length": MAX_RPC_MESSAGE_SIZE,
};

let verbosity = 0;
let logToStderr = false;

export function configureLogging(level: number, toStderr: boolean): void {
  verbosity = level;
  logToStderr = toStderr;
}

/** glog-style verbose logging: only shown when the CLI runs with `--logtostderr -v=N`. */
export function debug(level: number, message: string): void {
  if (logToStderr && verbosity >= level) {
    process.stderr.write(`pulumi-language-nodejs: ${message}\n`);
  }
}

export interface NodeOptions {
  typescript: boolean;
  tsconfigpath: string;
  nodeargs: string;
  packagemanager: string;
}

const PACKAGE_MANAGERS = ["auto", "npm", "yarn", "pnpm", "bun"];

/** The `runtime.options` of Pulumi.yaml / PulumiPolicy.yaml, validated like the Go host's parseOptions. */
export function parseOptions(info: ProgramInfo | undefined): NodeOptions {
  const options = info?.getOptions()?.toJavaScript() ?? {};
  const opts: NodeOptions = { typescript: true, tsconfigpath: "", nodeargs: "", packagemanager: "auto" };
  if ("typescript" in options) {
    if (typeof options.typescript !== "boolean") throw new Error("typescript option must be a boolean");
    opts.typescript = options.typescript;
  }
  if ("tsconfig" in options) {
    if (typeof options.tsconfig !== "string") throw new Error("tsconfigpath option must be a string");
    opts.tsconfigpath = options.tsconfig;
  }
  if ("nodeargs" in options) {
    if (typeof options.nodeargs !== "string") throw new Error("nodeargs option must be a string");
    opts.nodeargs = options.nodeargs;
  }
  if ("packagemanager" in options) {
    const pm = options.packagemanager;
    if (typeof pm !== "string") throw new Error("packagemanager option must be a string");
    if (!PACKAGE_MANAGERS.includes(pm)) {
      throw new Error(`packagemanager option must be one of auto, npm, yarn, pnpm or bun, got "${pm}"`);
    }
    opts.packagemanager = pm;
  }
  return opts;
}

/** The environment additions the runners read to enable ts-node. */
export function typescriptEnv(opts: NodeOptions): string[] {
  const env: string[] = [];
  if (opts.typescript) env.push("PULUMI_NODEJS_TYPESCRIPT=true");
  if (opts.tsconfigpath !== "") env.push(`PULUMI_NODEJS_TSCONFIG_PATH=${opts.tsconfigpath}`);
  return env;
}

/** Splits `nodeargs` like a POSIX shell would (quotes and backslashes), as the Go host's shlex.Split. */
export function shellSplit(input: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quote === "'" && c !== "'") {
      word += c;
    } else if (c === "\\") {
      if (++i >= input.length) throw new Error("EOF found after escape character");
      word += input[i];
      inWord = true;
    } else if (quote !== undefined && c !== quote) {
      word += c;
    } else if (c === "'" || c === '"') {
      // Opens or closes a quoted part; "" is still a word.
      quote = quote === undefined ? c : undefined;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error("EOF found when expecting closing quote");
  if (inWord) words.push(word);
  return words;
}

/** Like Go's exec.LookPath: the first executable file called `name` on $PATH. */
export function lookPath(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir === "" ? "." : dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  throw new Error(`exec: "${name}": executable file not found in $PATH`);
}

/**
 * Resolves `mod` the way `node -e "require.resolve(mod)"` would from `programDir` (what the Go host runs),
 * so the runner comes from the program's own @pulumi/pulumi, not from ours.
 */
export function locateModule(mod: string, programDir: string, isPlugin: boolean): string {
  try {
    return require.resolve(mod, { paths: [path.resolve(programDir)] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") {
      const install = isPlugin ? `npm install in ${programDir}` : "pulumi install";
      throw new Error(`It looks like the Pulumi SDK has not been installed. Have you run ${install}?`);
    }
    throw err;
  }
}

/** The message of an unknown thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
