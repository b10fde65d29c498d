// The LanguageRuntime gRPC service. RPCs the Go host implements for code generation and packaging
// (GenerateProgram/Project/Package, Pack, Link), RuntimeOptionsPrompts and the deprecated GetRequiredPlugins are
// left out, so grpc-js answers them with UNIMPLEMENTED.
import { execFileSync, spawn } from "child_process";
import type { EventEmitter } from "events";
import * as fs from "fs";
import { Writable } from "stream";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { LanguageRuntimeService } from "@pulumi/pulumi/proto/language_grpc_pb";
import * as langproto from "@pulumi/pulumi/proto/language_pb";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import { npmDependencies, requiredPackages } from "./packages";
import { runPlugin } from "./plugin";
import { runProgram } from "./run";
import { errorMessage, lookPath, parseOptions } from "./util";

/** How often the engine is probed while we serve it (Go: rpcutil.Healthcheck with 5 minutes). */
const HEALTH_CHECK_INTERVAL_MS = 5 * 60 * 1000;

/** The version we report: that of the @pulumi/pulumi SDK this host ships with. */
export const VERSION = (
  JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }
).version;

/**
 * Probes the engine's gRPC health service and calls `onDead` once it stops answering, so the host does not
 * outlive a crashed CLI. UNIMPLEMENTED counts as alive.
 */
export function watchEngine(address: string, onDead: () => void): void {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const timer = setInterval(() => {
    const empty = () => Buffer.alloc(0);
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", empty, (b: Buffer) => b, null, (err) => {
      if (err && err.code !== grpc.status.UNIMPLEMENTED) {
        clearInterval(timer);
        client.close();
        onDead();
      }
    });
  }, HEALTH_CHECK_INTERVAL_MS);
  timer.unref();
}

/** A Writable that forwards each chunk to a server stream as one response message. */
function messageStream<T>(call: grpc.ServerWritableStream<unknown, T>, wrap: (chunk: Buffer) => T): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      call.write(wrap(chunk), callback);
    },
  });
}

/** Aborts when the engine drops this particular call (or, if given, when `host` aborts). */
function callSignal(call: EventEmitter, host?: AbortSignal): AbortSignal {
  const controller = new AbortController();
  call.on("cancelled", () => controller.abort());
  return host ? AbortSignal.any([controller.signal, host]) : controller.signal;
}

function grpcError(err: unknown): Partial<grpc.StatusObject> {
  return { code: grpc.status.UNKNOWN, details: errorMessage(err) };
}

export class LanguageHost {
  /** Aborted by the Cancel RPC: running programs are interrupted (Go host: cancelCtx). */
  private readonly cancelled = new AbortController();

  constructor(
    private engineAddress: string,
    private readonly tracing: string,
    private readonly onEngineGone: () => void,
  ) {}

  register(server: grpc.Server): void {
    server.addService(LanguageRuntimeService, {
      handshake: this.handshake.bind(this),
      getRequiredPackages: this.getRequiredPackages.bind(this),
      run: this.run.bind(this),
      getPluginInfo: this.getPluginInfo.bind(this),
      installDependencies: this.installDependencies.bind(this),
      template: this.template.bind(this),
      about: this.about.bind(this),
      getProgramDependencies: this.getProgramDependencies.bind(this),
      runPlugin: this.runPlugin.bind(this),
      cancel: this.cancel.bind(this),
    });
  }

  private handshake(
    call: grpc.ServerUnaryCall<langproto.LanguageHandshakeRequest, langproto.LanguageHandshakeResponse>,
    callback: grpc.sendUnaryData<langproto.LanguageHandshakeResponse>,
  ): void {
    this.engineAddress = call.request.getEngineAddress();
    watchEngine(this.engineAddress, this.onEngineGone);
    callback(null, new langproto.LanguageHandshakeResponse());
  }

  private getRequiredPackages(
    call: grpc.ServerUnaryCall<langproto.GetRequiredPackagesRequest, langproto.GetRequiredPackagesResponse>,
    callback: grpc.sendUnaryData<langproto.GetRequiredPackagesResponse>,
  ): void {
    const packages = requiredPackages(call.request.getInfo()?.getProgramDirectory() ?? ".").map((p) => {
      const dep = new pluginproto.PackageDependency().setName(p.name).setKind(p.kind).setVersion(p.version);
      dep.setServer(p.server);
      if (p.parameterization) {
        const { name, version, value } = p.parameterization;
        dep.setParameterization(new pluginproto.PackageParameterization().setName(name).setVersion(version).setValue(value));
      }
      return dep;
    });
    callback(null, new langproto.GetRequiredPackagesResponse().setPackagesList(packages));
  }

  private run(
    call: grpc.ServerUnaryCall<langproto.RunRequest, langproto.RunResponse>,
    callback: grpc.sendUnaryData<langproto.RunResponse>,
  ): void {
    if (this.engineAddress === "") {
      callback(grpcError("when debugging or running explicitly, must call Handshake before Run"));
      return;
    }
    const signal = callSignal(call, this.cancelled.signal);
    runProgram(call.request, { engineAddress: this.engineAddress, tracing: this.tracing, signal }).then(
      (result) => callback(null, new langproto.RunResponse().setError(result.error).setBail(result.bail)),
      (err: unknown) => callback(grpcError(err)),
    );
  }

  private getPluginInfo(_call: grpc.ServerUnaryCall<Empty, pluginproto.PluginInfo>, callback: grpc.sendUnaryData<pluginproto.PluginInfo>): void {
    callback(null, new pluginproto.PluginInfo().setVersion(VERSION));
  }

  /** `npm install` in the program directory; other package managers are not supported by this host. */
  private installDependencies(
    call: grpc.ServerWritableStream<langproto.InstallDependenciesRequest, langproto.InstallDependenciesResponse>,
  ): void {
    const stdout = messageStream(call, (b) => new langproto.InstallDependenciesResponse().setStdout(b));
    const stderr = messageStream(call, (b) => new langproto.InstallDependenciesResponse().setStderr(b));
    const fail = (err: unknown) => call.emit("error", grpcError(err));
    try {
      npmOnly(parseOptions(call.request.getInfo()).packagemanager);
      const dir = call.request.getInfo()?.getProgramDirectory() || call.request.getDirectory();
      stdout.write("Installing dependencies...\n\n");
      const child = spawn(lookPath("npm"), ["install", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.pipe(stdout, { end: false });
      child.stderr.pipe(stderr, { end: false });
      child.on("error", fail);
      child.on("close", (code) => {
        if (code === 0) stdout.write("Finished installing dependencies\n\n", () => call.end());
        else fail(`npm install failed with exit code ${code ?? -1}`);
      });
    } catch (err) {
      fail(err);
    }
  }

  private template(
    _call: grpc.ServerUnaryCall<langproto.TemplateRequest, langproto.TemplateResponse>,
    callback: grpc.sendUnaryData<langproto.TemplateResponse>,
  ): void {
    callback(null, new langproto.TemplateResponse());
  }

  private about(
    call: grpc.ServerUnaryCall<langproto.AboutRequest, langproto.AboutResponse>,
    callback: grpc.sendUnaryData<langproto.AboutResponse>,
  ): void {
    try {
      npmOnly(parseOptions(call.request.getInfo()).packagemanager);
      const node = lookPath("node");
      const res = new langproto.AboutResponse().setExecutable(node);
      // Like the Go host, a version we cannot determine is simply left empty.
      const version = (bin: string) => {
        try {
          return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
        } catch {
          return "";
        }
      };
      res.setVersion(version(node));
      res.getMetadataMap().set("packagemanager", "npm").set("packagemanagerVersion", version("npm"));
      callback(null, res);
    } catch (err) {
      callback(grpcError(err));
    }
  }

  private getProgramDependencies(
    call: grpc.ServerUnaryCall<langproto.GetProgramDependenciesRequest, langproto.GetProgramDependenciesResponse>,
    callback: grpc.sendUnaryData<langproto.GetProgramDependenciesResponse>,
  ): void {
    try {
      npmOnly(parseOptions(call.request.getInfo()).packagemanager);
      const dir = call.request.getInfo()?.getProgramDirectory() || call.request.getPwd();
      const deps = npmDependencies(dir, call.request.getTransitivedependencies()).map((d) =>
        new langproto.DependencyInfo().setName(d.name).setVersion(d.version),
      );
      callback(null, new langproto.GetProgramDependenciesResponse().setDependenciesList(deps));
    } catch (err) {
      callback(grpcError(`failed to get node dependencies: ${errorMessage(err)}`));
    }
  }

  private runPlugin(call: grpc.ServerWritableStream<langproto.RunPluginRequest, langproto.RunPluginResponse>): void {
    const stdout = messageStream(call, (b) => new langproto.RunPluginResponse().setStdout(b));
    const stderr = messageStream(call, (b) => new langproto.RunPluginResponse().setStderr(b));
    const signal = callSignal(call);
    runPlugin(call.request, this.engineAddress, { stdout, stderr, signal }).then(
      // Ending the stream without an exit code message is how the Go host reports success.
      () => call.end(),
      (err: unknown) => call.emit("error", grpcError(err)),
    );
  }

  private cancel(_call: grpc.ServerUnaryCall<Empty, Empty>, callback: grpc.sendUnaryData<Empty>): void {
    this.cancelled.abort();
    callback(null, new Empty());
  }
}

function npmOnly(packagemanager: string): void {
  if (packagemanager !== "auto" && packagemanager !== "npm") {
    throw new Error(`package manager "${packagemanager}" is not supported by this language host (only npm)`);
  }
}
