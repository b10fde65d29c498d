// A RabbitMQ node's home for one service's change stream: data, logs, Erlang cookie, the config
// (stream listener on loopback only, a generated password) and the stream plugin, owned by the
// rabbitmq OS user when we are root. The node itself runs as a supervised process.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { requireBinary, run } from "./exec";

export const RABBITMQ_OS_USER = "rabbitmq";

export interface BrokerInputs {
  dir: string;
  streamPort: number;
  user: string;
}

export interface BrokerOutputs extends BrokerInputs {
  /** Stored encrypted in the Pulumi state (additionalSecretOutputs). */
  password: string;
  server: string;
  epmd: string;
}

export async function create(i: BrokerInputs): Promise<{ id: string; outs: BrokerOutputs }> {
  const server = requireBinary("rabbitmq-server", "rabbitmq-server", ["/usr/lib/rabbitmq/bin"]);
  const epmd = requireBinary("epmd", "erlang-base");
  const password = randomBytes(24).toString("base64url");
  // Parents stay traversable for the rabbitmq user; only the node's own folder is private.
  fs.mkdirSync(path.dirname(i.dir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(i.dir, { recursive: true, mode: 0o750 });
  for (const d of ["home", "mnesia", "log"]) fs.mkdirSync(path.join(i.dir, d), { recursive: true, mode: 0o750 });
  const conf = [
    "listeners.tcp = none",
    `stream.listeners.tcp.1 = 127.0.0.1:${i.streamPort}`,
    `default_user = ${i.user}`,
    `default_pass = ${password}`,
    "log.console = true",
    "log.console.level = warning",
    "log.file = false",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(i.dir, "rabbitmq.conf"), conf, { mode: 0o600 });
  fs.writeFileSync(path.join(i.dir, "enabled_plugins"), "[rabbitmq_stream].\n", { mode: 0o644 });
  if (process.getuid?.() === 0) await run("chown", ["-R", `${RABBITMQ_OS_USER}:`, i.dir]);
  return { id: i.dir, outs: { ...i, password, server, epmd } };
}

export async function remove(_id: string, props: BrokerOutputs): Promise<void> {
  fs.rmSync(props.dir, { recursive: true, force: true });
}
