// A pod network for kwok's pods that Prometheus can reach: pod IPs come from 10.244.0.0/16 (the API
// server refuses loopback addresses in Endpoints, so Services would never be ready with 127.x pod
// IPs), and those addresses live on the loopback of a network namespace the test creates, reached
// from the host through a veth pair. Nothing listens outside 127.0.0.1 on the host itself: the
// containers' stand-ins (podMetricsServer.ts) run inside the namespace.
import { execFileSync } from "node:child_process";

export interface PodNetwork {
  name: string;
  cidr: string;
  /** Runs argv inside the namespace. */
  exec: string[];
  remove(): void;
}

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

function quietly(f: () => unknown): void {
  try {
    f();
  } catch {
    // already gone
  }
}

/** `index` picks the link addresses (10.250.<index>.0/30), so two test files never share one. */
export function createPodNetwork(name: string, cidr: string, index: number): PodNetwork {
  if (process.getuid?.() !== 0) throw new Error("the kubernetes e2e pod network needs root (ip netns, veth): run the tests as root, as CI does");
  const host = `${name.slice(0, 10)}0`;
  const peer = `${name.slice(0, 10)}1`;
  const remove = (): void => {
    quietly(() => ip("route", "del", cidr));
    quietly(() => ip("link", "del", host));
    quietly(() => ip("netns", "del", name));
  };
  remove();
  ip("netns", "add", name);
  ip("link", "add", host, "type", "veth", "peer", "name", peer);
  ip("link", "set", peer, "netns", name);
  ip("addr", "add", `10.250.${index}.1/30`, "dev", host);
  ip("link", "set", host, "up");
  const inside = (...args: string[]): string => ip("netns", "exec", name, "ip", ...args);
  inside("link", "set", "lo", "up");
  inside("addr", "add", `10.250.${index}.2/30`, "dev", peer);
  inside("link", "set", peer, "up");
  // Every pod address is local inside the namespace: a server binds whichever one kwok assigned.
  inside("route", "add", "local", cidr, "dev", "lo");
  ip("route", "add", cidr, "via", `10.250.${index}.2`);
  return { name, cidr, exec: ["ip", "netns", "exec", name], remove };
}
