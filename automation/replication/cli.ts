// `npm run replication -- <status|promote> --service <name> [--stack dev] [--to <host>] [--accept-data-loss] [--no-repoint]`
// status: each shadow's state and lag; promote: fence, catch up, switch, repoint; prints the report
// (RPO and timings) as JSON. Exit 2 when promotion is refused, with the reasons.
import * as path from "node:path";
import { openStack } from "../engine";
import { observeService, promoteService, PromotionRefused } from "./index";

const USAGE = "usage: replication <status|promote> --service <name> [--stack dev] [--to <host>] [--accept-data-loss] [--no-repoint]";

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(argv: string[]): Promise<void> {
  const [cmd] = argv;
  const service = flag(argv, "--service");
  if (!service || (cmd !== "status" && cmd !== "promote")) throw new Error(USAGE);
  const root = path.resolve(__dirname, "..", "..", "..");
  const stack = await openStack({ root, stack: flag(argv, "--stack") ?? "dev" });
  if (cmd === "status") {
    const o = await observeService(stack, service);
    console.log(JSON.stringify(o, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    return;
  }
  const report = await promoteService({
    root,
    stack,
    service,
    to: flag(argv, "--to"),
    acceptDataLoss: argv.includes("--accept-data-loss"),
    repoint: !argv.includes("--no-repoint"),
    log: (l) => console.error(l),
  });
  console.log(JSON.stringify(report, null, 2));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(e instanceof PromotionRefused ? 2 : 1);
});
