// HAProxy routing on docker as a Pulumi resource: a dynamic provider that loads the compiled
// implementation (impl/haproxyRouting.ts) at run time, so it captures nothing but that path.
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Record<string, unknown>) {
    return load().create(clean(inputs));
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const changed = Object.keys(clean(news)).some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { changes: changed, replaces: [] };
  },
  async update(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    return load().update(id, olds as never, clean(news));
  },
  async delete() {
    return load().remove();
  },
};

type Impl = typeof import("./impl/haproxyRouting");

function load(): Impl {
  // The plugin's working directory is the project (or UNDERSTUDY_ROOT), as for the local platform.
  const root = process.env.UNDERSTUDY_ROOT || process.cwd();
  return require(`${root}/dist/components/platforms/docker/impl/haproxyRouting.js`) as Impl;
}

function clean(bag: Record<string, unknown>): never {
  return Object.fromEntries(Object.entries(bag).filter(([k]) => k !== "__provider")) as never;
}

export interface HaproxyRoutingArgs {
  dockerHost: pulumi.Input<string>;
  container: pulumi.Input<string>;
  containerId: pulumi.Input<string>;
  mapPath: pulumi.Input<string>;
  adminPort: pulumi.Input<number>;
  entries: pulumi.Input<Record<string, number>>;
  servers: pulumi.Input<Record<string, boolean>>;
}

export class HaproxyRouting extends pulumi.dynamic.Resource {
  constructor(name: string, args: HaproxyRoutingArgs, opts: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args }, opts, "docker", "haproxy-routing");
  }
}
