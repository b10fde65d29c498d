// `npm run stack -- <up|preview|refresh|destroy|outputs> [--stack dev]`: the stack through the
// Automation API with the offline engine (what `pulumi up` does, without needing a language host).
import * as path from "node:path";
import { openStack, preflight } from "./engine";

const USAGE = "usage: stack <up|preview|refresh|destroy|outputs> [--stack <name>]";

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const i = rest.indexOf("--stack");
  const stackName = i >= 0 ? rest[i + 1] : "dev";
  if (!stackName) throw new Error(USAGE);
  const root = path.resolve(__dirname, "..", "..");
  const stack = await openStack({ root, stack: stackName });
  const onOutput = (s: string): void => void process.stdout.write(s);
  if (cmd === "up" || cmd === "preview") await preflight(stack);
  switch (cmd) {
    case "up":
      await stack.up({ onOutput });
      break;
    case "preview":
      await stack.preview({ onOutput, diff: true });
      break;
    case "refresh":
      await stack.refresh({ onOutput });
      break;
    case "destroy":
      await stack.destroy({ onOutput });
      break;
    case "outputs":
      // Secret outputs stay masked: the CLI prints [secret] unless asked with --show-secrets.
      console.log(JSON.stringify(await stack.outputs(), (_k, v: unknown) => ((v as { secret?: boolean })?.secret ? "[secret]" : v), 2));
      break;
    default:
      throw new Error(USAGE);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
