import test from "ava";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { cliArgs, runLoadProcess } from "../../../demo/loadgen";

const PORT = 28730;

test("the load generator's process reports what a real server saw, records included, and stops on abort", async (t) => {
  let served = 0;
  let writes = 0;
  const server = http.createServer((req, res) => {
    served++;
    if (req.method === "POST") writes++;
    req.resume();
    req.on("end", () => {
      res.statusCode = req.method === "POST" ? 201 : 200;
      res.end(req.method === "POST" ? JSON.stringify({ id: served }) : "[]");
    });
  });
  await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  try {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 1500);
    const result = await runLoadProcess({ target: `http://127.0.0.1:${PORT}`, rps: 40, durationSec: 60, writeRatio: 0.5, seed: 3 }, ac.signal);
    t.true(Date.now() - started < 10_000, "aborting stopped the 60 s run");
    t.true(result.aborted);
    t.true(result.requests > 10, `${result.requests} requests`);
    t.is(result.failed, 0);
    t.is(result.requests, served, "every request the summary counts reached the server");
    t.is(result.byKind.write.ok, writes);
    const records = result.records.toArray();
    t.is(records.length, result.requests);
    t.is(records.filter((r) => r.kind === "write" && r.status === 201).length, writes);
    t.true(records.every((r) => Number.isFinite(r.latencyMs) && Number.isFinite(r.sentMs)));
  } finally {
    server.close();
  }
});

test("the load generator's process runs at the niceness asked for; an impossible one is refused", async (t) => {
  const port = PORT + 1;
  const target = `http://127.0.0.1:${port}`;
  // While it sends, the client's own niceness (its command line names the target; the 19th field of
  // /proc/<pid>/stat, which ps would hide under a non-default scheduling policy).
  let seen: string | undefined;
  const server = http.createServer((req, res) => {
    const pid = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
      .split("\n")
      .find((l) => l.includes(`--target ${target} `))
      ?.trim()
      .split(/\s+/)[0];
    if (pid !== undefined && seen === undefined) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      seen = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16];
    }
    req.resume();
    req.on("end", () => res.end("[]"));
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  try {
    const result = await runLoadProcess({ target, rps: 20, durationSec: 1, writeRatio: 0, seed: 1 }, undefined, 7);
    t.true(result.requests > 5);
    t.is(seen, "7");
    await t.throwsAsync(runLoadProcess({ target, rps: 20, durationSec: 30, writeRatio: 0, seed: 1 }, undefined, 42), { message: /niceness 42/ });
    await new Promise((r) => setTimeout(r, 500));
    const left = execFileSync("ps", ["-eo", "args="], { encoding: "utf8" }).split("\n").filter((l) => l.includes(`--target ${target} `));
    t.deepEqual(left, [], "the refused load generator was stopped");
  } finally {
    server.close();
  }
});

test("options the command line cannot carry are refused, not dropped", (t) => {
  t.throws(() => cliArgs({ target: "http://x", durationSec: 1, rps: 1, readMix: { byId: 1, list: 0, stats: 0 } }, "/tmp/o"), { instanceOf: RangeError });
  t.deepEqual(cliArgs({ target: "http://x", durationSec: 2, rps: 5, idleTimeoutMs: 4000, headers: { "X-A": "1" } }, "/tmp/o"), [
    ...["--target", "http://x", "--duration", "2", "--out", "/tmp/o", "--json"],
    ...["--rps", "5", "--idle-timeout-ms", "4000", "--header", "X-A: 1"],
  ]);
});
