// Child process of the crash-recovery test: opens the existing stack and runs one `up` with three
// live instances; the test kills it, and the Pulumi CLI under it, in the middle.
import * as path from "node:path";
import { openStack, writeConfig } from "../../../automation/engine";
import { ROOT } from "../../helpers/stack";
import { crashConfig } from "./crashConfig";

async function main(): Promise<void> {
  const workDir = path.join(ROOT, ".understudy", "tmp", "it-crash");
  const stack = await openStack({ root: ROOT, stack: "it-crash", workDir, stateDir: path.join(workDir, "state") });
  await writeConfig(stack, { "understudy:services": crashConfig(3)["understudy:services"] });
  process.send?.("up");
  await stack.up({ onOutput: () => undefined });
}

void main();
