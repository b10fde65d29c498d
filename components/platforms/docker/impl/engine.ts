// A small client of the Docker Engine API (the same API the docker provider and CLI speak), over the
// engine's unix socket or TCP: JSON requests, uploads of files (a tar archive), and `exec` with the
// command's output and exit code. Used where the docker platform acts on a running container
// (HAProxy's runtime API) and by the test that runs the platform's declarations on a real engine.
import * as http from "node:http";

export interface EngineResponse {
  status: number;
  body: Buffer;
}

export interface Engine {
  /** Where the engine is: `unix:///var/run/docker.sock`, `tcp://host:2375` or `http://host:2375`. */
  readonly host: string;
  request(method: string, path: string, body?: unknown, contentType?: string): Promise<EngineResponse>;
}

export function engineAt(host: string): Engine {
  let target: http.RequestOptions;
  if (host.startsWith("unix://")) target = { socketPath: host.slice("unix://".length) };
  else if (/^(tcp|http):\/\//.test(host)) {
    const u = new URL(host.replace(/^tcp:/, "http:"));
    target = { host: u.hostname, port: Number(u.port || 2375) };
  } else throw new Error(`docker host '${host}' is not supported here: use unix:///path/to/docker.sock or tcp://host:port (docker:host or DOCKER_HOST)`);
  return {
    host,
    request(method, path, body, contentType = "application/json") {
      const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const req = http.request({ ...target, method, path, headers: payload ? { "content-type": contentType, "content-length": payload.length } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        });
        req.on("error", (e) => reject(new Error(`Docker engine at ${host}: ${e.message}`)));
        req.end(payload);
      });
    },
  };
}

/** The response's JSON, or an error naming the call and the engine's message. */
export async function json<T>(engine: Engine, method: string, path: string, body?: unknown): Promise<T> {
  const r = await engine.request(method, path, body);
  if (r.status >= 300) throw new Error(`Docker engine ${method} ${path}: ${r.status} ${r.body.toString().trim()}`);
  return (r.body.length ? JSON.parse(r.body.toString()) : undefined) as T;
}

/** Splits the engine's multiplexed stream (8-byte frame headers: stream 1 stdout, 2 stderr). */
export function demux(raw: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length) {
    const size = raw.readUInt32BE(i + 4);
    (raw[i] === 2 ? err : out).push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a running container (as `user`, default the image's) and waits for it. */
export async function exec(engine: Engine, container: string, cmd: string[], user?: string): Promise<ExecResult> {
  const { Id } = await json<{ Id: string }>(engine, "POST", `/containers/${encodeURIComponent(container)}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true, User: user });
  const started = await engine.request("POST", `/exec/${Id}/start`, { Detach: false, Tty: false });
  if (started.status >= 300) throw new Error(`Docker engine: exec in ${container}: ${started.status} ${started.body.toString().trim()}`);
  const { ExitCode } = await json<{ ExitCode: number }>(engine, "GET", `/exec/${Id}/json`);
  return { exitCode: ExitCode, ...demux(started.body) };
}

/** A POSIX tar archive of regular files (what PUT /containers/{id}/archive takes). */
export function tarOf(files: { path: string; content: string | Buffer; mode?: number }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    const data = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content);
    const name = f.path.replace(/^\/+/, "");
    if (Buffer.byteLength(name) > 100) throw new Error(`tar: path too long for a plain header: ${name}`);
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write(`${(f.mode ?? 0o644).toString(8).padStart(7, "0")}\0`, 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    h.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, "0")}\0`, 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
