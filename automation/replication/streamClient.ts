// The RabbitMQ stream client, made to speak to Debian's RabbitMQ 3.10: the client opens every
// connection with the command-version exchange that brokers have understood since 3.11; a 3.10
// broker answers an unknown command by closing the connection. Older brokers speak version 1 of
// every command this project uses, so the exchange is skipped for them.
import { Client, connect, Offset } from "rabbitmq-stream-js-client";
import { Connection } from "rabbitmq-stream-js-client/dist/connection";

type Peer = { peerProperties: Record<string, string> };
type Patched = { exchangeCommandVersions: (this: Peer) => Promise<unknown> };
const proto = Connection.prototype as unknown as Patched;
const original = proto.exchangeCommandVersions;
proto.exchangeCommandVersions = async function exchangeCommandVersions(this: Peer) {
  if (/^3\.([0-9]|10)\./.test(this.peerProperties.version ?? "")) return true;
  return original.call(this);
};

export { Offset };
export type { Client };

export interface BrokerRef {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** rabbitmq-stream://user:password@host:port */
export function brokerFromUrl(url: string): BrokerRef {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
}

export function connectBroker(b: BrokerRef): Promise<Client> {
  return connect({ hostname: b.host, port: b.port, username: b.user, password: b.password, vhost: "/", heartbeat: 0 });
}
