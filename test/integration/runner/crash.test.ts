// Crash recovery: the runner dies (kill -9, with the Pulumi CLI under it) in the middle of an `up`;
// the next start finds the dead lock and the interrupted operations, recovers, and the stack ends
// consistent: the update completes and a preview has nothing left to do.
import { fork } from "node:child_process";
import * as path from "node:path";
import test from "ava";
import * as supervisor from "../../../components/platforms/local/impl/supervisor";
import { recover } from "../../../automation/runner/recovery";
import { pidsListening, testStack } from "../../helpers/stack";
import { crashConfig } from "./crashConfig";

test("kill -9 of the runner during up: recovered, completed, consistent", async (t) => {
  const s = await testStack("it-crash", crashConfig(2));
  try {
    await s.stack.up({ onOutput: () => undefined });
    const child = fork(path.join(__dirname, "crashChild.js"), [], { detached: true, stdio: "ignore" });
    await new Promise<void>((res) => child.once("message", () => res()));
    // Kill once the new instance is being created: its process exists, its create is not recorded.
    const deadline = Date.now() + 60_000;
    while (!(await supervisor.describe(path.join(s.stateDir, "pm2"), "tiny-live-host-3")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    process.kill(-(child.pid as number), "SIGKILL");
    await new Promise((r) => setTimeout(r, 500));

    const notes = await recover(s.stack, s.backendDir);
    t.true(notes.length > 0, "recovery found something to mend");
    t.log(notes.join("\n"));
    const up = await s.stack.up({ onOutput: (o) => s.log.push(o) });
    t.is(up.summary.result, "succeeded");
    const pv = await s.stack.preview();
    t.deepEqual(Object.keys(pv.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(pv.changeSummary));
    t.is(new Set(pidsListening(25100)).size, 4, "three live instances and the shadow listen");
  } finally {
    await s.destroy();
  }
});
