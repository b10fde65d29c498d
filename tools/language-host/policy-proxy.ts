// The Analyzer proxy the Go host puts in front of nodejs policy packs (Go: sdk.PolicyProxy).
//
// @pulumi/policy reads the stack's project/stack/config from environment variables when the pack starts, but the
// engine only sends them later, in Analyzer.ConfigureStack. So the proxy answers Handshake and ConfigureStack
// itself, starts the real pack once it knows the configuration, and then forwards every call to the pack.
import * as grpc from "@grpc/grpc-js";
import type { Readable, Writable } from "stream";
import { AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { AnalyzerStackConfigureRequest } from "@pulumi/pulumi/proto/analyzer_pb";
import { debug, errorMessage, grpcChannelOptions } from "./util";

/** A promise settled from outside; only the first settlement counts, like Go's promise.CompletionSource. */
class Deferred<T> {
  readonly promise: Promise<T>;
  private settled = false;
  private settle!: { resolve: (v: T) => void; reject: (e: Error) => void };

  constructor() {
    this.promise = new Promise<T>((resolve, reject) => (this.settle = { resolve, reject }));
    // Rejections are observed by whoever awaits later; never crash on an unobserved one.
    this.promise.catch(() => undefined);
  }

  resolve(value: T): void {
    if (!this.settled) this.settle.resolve(value);
    this.settled = true;
  }

  reject(error: Error): void {
    if (!this.settled) this.settle.reject(error);
    this.settled = true;
  }
}

const identity = (b: Buffer) => b;

/**
 * The Analyzer service with opaque payloads: calls are forwarded byte for byte, so fields newer than the
 * generated stubs in @pulumi/pulumi survive the trip.
 */
const rawAnalyzerService: grpc.ServiceDefinition = Object.fromEntries(
  Object.entries(AnalyzerService).map(([name, method]) => [
    name,
    {
      ...(method as grpc.MethodDefinition<unknown, unknown>),
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  ]),
);

export class PolicyProxy {
  private readonly server = new grpc.Server(grpcChannelOptions);
  /** Raw ConfigureStack request, or null when the engine called something else first (e.g. `policy publish`). */
  private readonly stackConfig = new Deferred<Buffer | null>();
  private readonly client = new Deferred<grpc.Client>();
  private connection: grpc.Client | undefined;

  /** Starts serving and writes the proxy's port to `stdout`, which is where the engine looks for it. */
  async start(stdout: Writable): Promise<void> {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [name, method] of Object.entries(rawAnalyzerService)) {
      handlers[name] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        if (name === "handshake") return callback(null, Buffer.alloc(0));
        if (name === "configureStack") {
          this.stackConfig.resolve(call.request);
          return callback(null, Buffer.alloc(0));
        }
        this.forward(method.path, call, callback);
      };
    }
    this.server.addService(rawAnalyzerService, handlers);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    debug(9, `Started policy proxy on port ${port}`);
    stdout.write(`${port}\n`);
  }

  /** The stack configuration to start the pack with; undefined if the engine never sent one. */
  async configuration(): Promise<AnalyzerStackConfigureRequest | undefined> {
    const raw = await this.stackConfig.promise;
    return raw ? AnalyzerStackConfigureRequest.deserializeBinary(raw) : undefined;
  }

  /**
   * Reads the pack's port (the first line of its stdout), connects to it and replays the stack configuration;
   * the rest of the pack's stdout goes to `stdout`.
   */
  async attach(packStdout: Readable, stdout: Writable): Promise<void> {
    try {
      const port = await readPort(packStdout);
      debug(9, `Attaching to policy pack on port ${port}`);
      packStdout.pipe(stdout, { end: false });
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), grpcChannelOptions);
      this.connection = client;
      const config = await this.stackConfig.promise;
      if (config) {
        await unary(client, AnalyzerService.configureStack.path, config).catch((err: unknown) => {
          throw new Error(`policy pack configuration failed: ${errorMessage(err)}`);
        });
      }
      this.client.resolve(client);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.client.reject(error);
      throw error;
    }
  }

  close(): void {
    // Whoever still waits for the pack must not hang once it is gone.
    this.stackConfig.resolve(null);
    this.client.reject(new Error("policy pack exited"));
    this.connection?.close();
    this.server.forceShutdown();
  }

  private forward(path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
    // A call before ConfigureStack means there is no stack configuration (Go: awaitClient).
    this.stackConfig.resolve(null);
    this.client.promise.then(
      (client) =>
        unary(client, path, call.request).then(
          (res) => callback(null, res),
          (err: grpc.ServiceError) => callback(err),
        ),
      (err: Error) => callback({ code: grpc.status.UNKNOWN, details: `policy pack not started: ${err.message}` }),
    );
  }
}

function unary(client: grpc.Client, path: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, identity, identity, request, (err, res) =>
      err ? reject(err) : resolve(res ?? Buffer.alloc(0)),
    ),
  );
}

/** Reads one line from `stream` and parses it as a port, leaving the rest of the stream unread. */
function readPort(stream: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf("\n");
      if (nl < 0) return;
      cleanup();
      stream.pause();
      const rest = buffered.subarray(nl + 1);
      if (rest.length > 0) stream.unshift(rest);
      const port = Number.parseInt(buffered.subarray(0, nl).toString("utf8").trim(), 10);
      if (Number.isInteger(port) && port > 0 && port < 65536) resolve(port);
      else reject(new Error(`could not read policy pack port: ${JSON.stringify(buffered.subarray(0, nl).toString())}`));
    };
    const onEnd = () => {
      cleanup();
      reject(new Error("could not read policy pack port: EOF"));
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
  });
}
