// The one dynamic provider of the local platform. Pulumi serializes it into its provider plugin, so
// it captures nothing but a kind name: at run time it loads the compiled implementation from the
// project (UNDERSTUDY_ROOT, or the plugin's working directory, which Pulumi sets to the project).
import * as pulumi from "@pulumi/pulumi";

export type LocalKind =
  | "supervisorDaemon" | "process" | "file" | "directory" | "postgresCluster" | "postgresDatabase" | "haproxyRouting"
  // replication streams: impl/replication*.ts (PostgreSQL side) and impl/changeStream*.ts (stream driver)
  | `replication${string}` | `changeStream${string}`;

interface Impl {
  create(inputs: unknown): Promise<{ id: string; outs: unknown }>;
  read?(id: string, props: unknown): Promise<{ id: string; props: unknown }>;
  diff?(id: string, olds: unknown, news: unknown): Promise<pulumi.dynamic.DiffResult>;
  update?(id: string, olds: unknown, news: unknown): Promise<{ outs: unknown }>;
  remove(id: string, props: unknown): Promise<void>;
}

export function localProvider(kind: LocalKind): pulumi.dynamic.ResourceProvider {
  // The engine adds the serialized provider to every input bag; implementations never see it.
  const withoutProvider = (bag: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(bag).filter(([k]) => k !== "__provider"));
  const load = (): Impl => {
    const root = process.env.UNDERSTUDY_ROOT || process.cwd();
    return require(`${root}/dist/components/platforms/local/impl/${kind}.js`) as Impl;
  };
  return {
    create: async (inputs: Record<string, unknown>) => {
      return load().create(withoutProvider(inputs));
    },
    read: async (id: string, props: Record<string, unknown>) => {
      const impl = load();
      return impl.read ? impl.read(id, props) : { id, props };
    },
    diff: async (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
      const impl = load();
      if (impl.diff) return impl.diff(id, olds, news);
      const changed = Object.keys(news).filter((k) => k !== "__provider" && JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      return { changes: changed.length > 0, replaces: impl.update ? [] : changed, deleteBeforeReplace: true };
    },
    update: async (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
      const impl = load();
      if (!impl.update) throw new Error(`local ${kind} resources cannot be updated in place`);
      return impl.update(id, olds, withoutProvider(news));
    },
    delete: async (id: string, props: Record<string, unknown>) => load().remove(id, props),
  };
}

/** A local-platform resource of one kind; outputs are the implementation's `outs`. */
export class LocalResource extends pulumi.dynamic.Resource {
  /**
   * @param outputs names of outputs that are not inputs (the engine only surfaces declared ones)
   * @param secretOutputs outputs stored encrypted in the state
   */
  constructor(
    kind: LocalKind,
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts: pulumi.CustomResourceOptions = {},
    secretOutputs: string[] = [],
    outputs: string[] = [],
  ) {
    const declared = Object.fromEntries(outputs.map((k) => [k, undefined]));
    super(localProvider(kind), name, { ...declared, ...props }, { ...opts, additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), ...secretOutputs] }, "local", kind);
  }

  out<T>(key: string): pulumi.Output<T> {
    return (this as unknown as Record<string, pulumi.Output<T>>)[key];
  }
}
