// The final snapshot an RDS primary leaves when it is deleted. Its identifier is unique per account and
// region, so it names the project, the stack and the service, and ends with a suffix drawn once per
// store: two stacks never collide, and neither do two lives of one stack (destroy, up, destroy).
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create() {
    // Serialized into the provider plugin: only `require` is captured.
    const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
    const value = randomBytes(4).toString("hex");
    return { id: value, outs: { value } };
  },
  async diff() {
    return { changes: false };
  },
};

class StoreSuffix extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, opts: pulumi.CustomResourceOptions) {
    super(provider, name, { value: undefined }, opts, "aws", "store-suffix");
  }
}

/** RDS snapshot identifiers: letters, digits and single hyphens, a letter first, at most 255 characters. */
export function snapshotIdentifier(project: string, stack: string, service: string, suffix: string): string {
  const words = [project, stack, service, "final", suffix].map((w) => w.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")).filter((w) => w !== "");
  const id = words.join("-").replace(/-{2,}/g, "-");
  const lettered = /^[a-z]/.test(id) ? id : `s-${id}`;
  // Trim from the front words, never the suffix that keeps it unique.
  return lettered.length <= 255 ? lettered : `s-${lettered.slice(lettered.length - 253).replace(/^-+/, "")}`;
}

export function finalSnapshotIdentifier(service: string, parent: pulumi.Resource): pulumi.Output<string> {
  const suffix = new StoreSuffix(`${service}-store-suffix`, { parent });
  return suffix.value.apply((v) => snapshotIdentifier(pulumi.getProject(), pulumi.getStack(), service, v));
}
