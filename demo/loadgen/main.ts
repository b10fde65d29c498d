// Entry point: node dist/demo/loadgen/main.js --target http://127.0.0.1:18080 --rps 300 --duration 60
import { parseArgs, UsageError } from "./cli";
import { runLoad } from "./run";
import { formatSummary } from "./stats";
import { TraceError } from "./trace";

async function main(): Promise<void> {
  const { load, json } = parseArgs(process.argv.slice(2));
  const ac = new AbortController();
  const stop = () => {
    if (ac.signal.aborted) process.exit(130);
    console.error("loadgen: stopping (waiting for in-flight requests; again to quit now)");
    ac.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const result = await runLoad(load, ac.signal);
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(`requests ${result.requests} (expected ${result.expectedRequests}), ok ${result.ok}, failed ${result.failed}` +
      `${result.aborted ? ", aborted" : ""}${result.capped ? ", stopped at max-requests" : ""}`);
    console.log(formatSummary(result));
    if (load.out) console.log(`records written to ${load.out}`);
  }
}

main().catch((e: unknown) => {
  if (e instanceof UsageError || e instanceof TraceError || e instanceof RangeError) {
    console.error(`loadgen: ${e.message}`);
    process.exit(2);
  }
  console.error(`loadgen: ${e instanceof Error ? e.stack : String(e)}`);
  process.exit(1);
});
