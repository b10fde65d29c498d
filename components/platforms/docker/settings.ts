// The docker platform's own settings: one optional stack config key, `understudy:docker`, validated
// like the rest of the stack config (the error names the key and the rule).
import { ConfigError, NAMESPACE, objectAt as object } from "../../config";

export interface DockerSettings {
  /** Container image per service; default understudy/<service>:latest. */
  images: Record<string, string>;
  haproxyImage: string;
  postgresImage: string;
  prometheusImage: string;
  /** Address on the Docker host where load balancers, stats and Prometheus are published. */
  publishAddress: string;
  /** The engine the docker provider uses (docker:host, else DOCKER_HOST): the routing resource execs there too. */
  dockerHost: string;
}

const KEY = `${NAMESPACE}:docker`;
const KEYS = ["images", "haproxyImage", "postgresImage", "prometheusImage", "publishAddress"];



function text(key: string, v: unknown, dflt: string): string {
  const raw = v ?? dflt;
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(key, "must be a non-empty string");
  return raw;
}

export function parseDockerSettings(raw: Record<string, unknown>): DockerSettings {
  const o = object(KEY, raw[KEY], KEYS);
  const images = object(`${KEY}.images`, o.images);
  const publishAddress = text(`${KEY}.publishAddress`, o.publishAddress, "127.0.0.1");
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(publishAddress)) throw new ConfigError(`${KEY}.publishAddress`, "must be an IPv4 address of the Docker host");
  return {
    images: Object.fromEntries(Object.entries(images).map(([svc, img]) => [svc, text(`${KEY}.images.${svc}`, img, "")])),
    haproxyImage: text(`${KEY}.haproxyImage`, o.haproxyImage, "haproxy:2.9"),
    postgresImage: text(`${KEY}.postgresImage`, o.postgresImage, "postgres:16"),
    prometheusImage: text(`${KEY}.prometheusImage`, o.prometheusImage, "prom/prometheus:v2.53.0"),
    publishAddress,
    dockerHost: typeof raw["docker:host"] === "string" && raw["docker:host"] !== "" ? raw["docker:host"] : (process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock"),
  };
}
