// Entry point: node dist/demo/service/main.js (configuration from the environment, see config.ts).
import * as fs from "node:fs";
import { ConfigError, parseConfig, withSavedRole } from "./config";
import { startCpuAgent } from "./agent";
import { jsonLogger, SHUTDOWN_GRACE_MS, startService } from "./server";

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
    // A role changed in place (POST /admin/role) outlives a restart by the supervisor.
    const saved = config.roleFile && fs.existsSync(config.roleFile) ? fs.readFileSync(config.roleFile, "utf8") : undefined;
    config = withSavedRole(config, saved);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`understudy demo service: configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const log = jsonLogger(config);
  const svc = await startService(config, { log });
  // Optional: answer the load balancer's agent checks with drain/ready from this process's CPU.
  const agentPort = Number(process.env.AGENT_PORT ?? 0);
  const agent =
    agentPort > 0 ? startCpuAgent({ host: config.host, port: agentPort, threshold: Number(process.env.CPU_DRAIN_THRESHOLD ?? 0.95) }) : undefined;
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    log("info", "signal received", { signal: sig });
    agent?.close();
    // Backstop: never hang on shutdown longer than the grace period plus pool closing.
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS + 3000).unref();
    svc.shutdown().then(
      () => process.exit(0),
      (e: unknown) => {
        log("error", "shutdown failed", { error: (e as Error).message });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}

main().catch((e: unknown) => {
  console.error(`understudy demo service: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
