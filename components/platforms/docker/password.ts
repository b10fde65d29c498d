// A generated password kept as a Pulumi secret: created once, stable across updates. A dynamic
// resource because @pulumi/random is not a dependency; the value never leaves the stack's state.
import * as pulumi from "@pulumi/pulumi";

const provider: pulumi.dynamic.ResourceProvider = {
  async create() {
    // Serialized into the provider plugin: only `require` is captured.
    const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
    const value = randomBytes(24).toString("base64url");
    return { id: randomBytes(8).toString("hex"), outs: { value } };
  },
  async diff() {
    return { changes: false };
  },
};

export class GeneratedPassword extends pulumi.dynamic.Resource {
  declare readonly value: pulumi.Output<string>;

  constructor(name: string, opts: pulumi.CustomResourceOptions = {}) {
    super(provider, name, { value: undefined }, { ...opts, additionalSecretOutputs: ["value"] }, "docker", "password");
  }
}
