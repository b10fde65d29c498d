// pulumi-language-nodejs: the Pulumi CLI's language plugin for nodejs, a TypeScript port of the Go host in
// pulumi/pulumi sdk/nodejs/cmd/pulumi-language-nodejs (which cannot be built offline here).
//
// The CLI starts it as `pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing URL] <engine-address>`, reads
// the port of our gRPC server from the first line of stdout, and then calls the LanguageRuntime service.
import * as grpc from "@grpc/grpc-js";
import { LanguageHost, VERSION, watchEngine } from "./host";
import { configureLogging, grpcChannelOptions } from "./util";

interface Flags {
  tracing: string;
  runtime: string;
  version: boolean;
  logtostderr: boolean;
  v: number;
  positional: string[];
}

const BOOL_FLAGS = new Set(["version", "logtostderr", "alsologtostderr"]);
// glog's flags, which the Go host accepts because glog registers them; we take and ignore the unused ones.
const VALUE_FLAGS = new Set(["tracing", "runtime", "v", "stderrthreshold", "vmodule", "log_dir", "log_backtrace_at"]);

function usageError(message: string): never {
  process.stderr.write(`${message}\nUsage of pulumi-language-nodejs:\n  -runtime string\n  -tracing string\n  -version\n`);
  process.exit(2);
}

/** Parses flags with Go's `flag` package rules: -x or --x, -x=v or -x v, stopping at the first non-flag. */
function parseFlags(argv: string[]): Flags {
  const flags: Flags = { tracing: "", runtime: "nodejs", version: false, logtostderr: false, v: 0, positional: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") break;
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    let value = eq < 0 ? undefined : body.slice(eq + 1);
    if (BOOL_FLAGS.has(name)) {
      if (value !== undefined && !["true", "false", "1", "0"].includes(value)) {
        usageError(`invalid boolean value "${value}" for -${name}`);
      }
      const on = value === undefined || value === "true" || value === "1";
      if (name === "version") flags.version = on;
      if (name === "logtostderr") flags.logtostderr = on;
    } else if (VALUE_FLAGS.has(name)) {
      if (value === undefined) {
        if (++i >= argv.length) usageError(`flag needs an argument: -${name}`);
        value = argv[i];
      }
      if (name === "tracing") flags.tracing = value;
      if (name === "runtime") flags.runtime = value;
      if (name === "v") flags.v = Number.parseInt(value, 10) || 0;
    } else {
      usageError(`flag provided but not defined: -${name}`);
    }
  }
  flags.positional = argv.slice(i);
  return flags;
}

function fatal(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(1);
}

function main(): void {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  configureLogging(flags.v, flags.logtostderr);
  // The Go host also supports "bun"; this port only runs programs with node.
  if (flags.runtime !== "nodejs") fatal(`unsupported runtime: ${flags.runtime}`);

  const engineAddress = flags.positional[0] ?? "";
  const server = new grpc.Server(grpcChannelOptions);
  // Like the Go host: on SIGINT or a dead engine, stop taking calls, let running ones finish, then exit.
  const stop = () => server.tryShutdown(() => process.exit(0));
  process.on("SIGINT", stop);
  if (engineAddress !== "") watchEngine(engineAddress, stop);

  new LanguageHost(engineAddress, flags.tracing, stop).register(server);
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
    if (err) fatal(`could not start language host RPC server: ${err.message}`);
    // The CLI reads our port from the first line of stdout.
    process.stdout.write(`${port}\n`);
  });
}

main();
