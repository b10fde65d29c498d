// `npm run runner:deploy -- <up|preview|destroy|outputs> --stack NAME`: the automation runner in the
// cluster of a kubernetes stack, from that stack's `understudy:kubernetes.runner` settings, with the
// admin's cluster access (the stack's kubernetes:kubeconfig / kubernetes:context, or KUBECONFIG).
import * as path from "node:path";
import { runnerStack } from "./program";

const ROOT = path.resolve(__dirname, "..", "..", "..");

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const i = rest.indexOf("--stack");
  const stackName = i >= 0 ? rest[i + 1] : undefined;
  if (!stackName || !["up", "preview", "destroy", "outputs"].includes(cmd)) throw new Error("usage: runner:deploy <up|preview|destroy|outputs> --stack NAME");
  const stack = await runnerStack({ root: ROOT, stack: stackName });
  const onOutput = (s: string) => process.stdout.write(s);
  if (cmd === "up") await stack.up({ onOutput });
  else if (cmd === "preview") await stack.preview({ onOutput });
  else if (cmd === "destroy") await stack.destroy({ onOutput });
  else for (const [k, v] of Object.entries(await stack.outputs())) console.log(`${k}: ${JSON.stringify(v.value)}`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(`runner:deploy: ${(e as Error).message}`);
  process.exit(1);
});
