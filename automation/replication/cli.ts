// `npm run replication -- <status|promote> --service <name> [--stack dev] [--to <host>] [--accept-data-loss] [--no-repoint]`
// status: each shadow's state and lag; promote: fence, catch up, switch, repoint; prints the report
// (RPO and timings) as JSON. Exit 2 when promotion is refused, with the reasons.
import * as path from "node:path";
import { openStack } from "../engine";
import { prometheusSource } from "../metrics/prometheus";
import { stackRuntime } from "../runner/runtime";
import { PromotionRefused } from "./index";

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
  const { promoter } = await stackRuntime(root, stack, prometheusSource(flag(argv, "--prometheus") ?? "http://127.0.0.1:19090"), (l) => console.error(l));
  if (cmd === "status") {
    const o = await promoter.status(service);
    console.log(JSON.stringify(o, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    return;
  }
  const report = await promoter.promote({
    service,
    to: flag(argv, "--to"),
    acceptDataLoss: argv.includes("--accept-data-loss"),
    repoint: !argv.includes("--no-repoint"),
  });
  console.log(JSON.stringify(report, null, 2));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(e instanceof PromotionRefused ? 2 : 1);
});
