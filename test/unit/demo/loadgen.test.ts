import test from "ava";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs, UsageError } from "../../../demo/loadgen/cli";
import {
  buildSchedule,
  constantSchedule,
  expectedRequests,
  loadTrace,
  parseTrace,
  percentile,
  rateAt,
  sendTimes,
  summarize,
  TraceError,
  type RequestRecord,
} from "../../../demo/loadgen/index";

test("percentile: nearest rank, sorted or not, input untouched", (t) => {
  const xs = [5, 1, 4, 2, 3];
  t.is(percentile(xs, 50), 3);
  t.is(percentile(xs, 0), 1);
  t.is(percentile(xs, 100), 5);
  t.is(percentile(xs, 20), 1);
  t.is(percentile(xs, 21), 2);
  t.deepEqual(xs, [5, 1, 4, 2, 3]);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  t.is(percentile(hundred, 99), 99);
  t.is(percentile(hundred, 90), 90);
  t.is(percentile(Float64Array.from(hundred).reverse(), 50), 50);
  t.true(Number.isNaN(percentile([], 50)));
  t.is(percentile([NaN, 7], 50), 7);
  t.throws(() => percentile([1], 101), { instanceOf: RangeError });
});

const rec = (over: Partial<RequestRecord>): RequestRecord => ({
  kind: "read_list",
  status: 200,
  error: null,
  scheduledMs: 0,
  sentMs: 0,
  latencyMs: 1,
  ...over,
});

test("summarize: counts, kinds, outcomes, late, rate", (t) => {
  const records: RequestRecord[] = [
    rec({ kind: "write", status: 201, scheduledMs: 0, sentMs: 1, latencyMs: 10 }),
    rec({ kind: "write", status: 500, scheduledMs: 10, sentMs: 11, latencyMs: 20 }),
    rec({ kind: "read_id", status: 200, scheduledMs: 20, sentMs: 45, latencyMs: 30 }), // late by 25 ms
    rec({ kind: "read_id", status: 0, error: "ECONNREFUSED", scheduledMs: 30, sentMs: 31, latencyMs: 2 }),
    rec({ kind: "stats", status: 404, scheduledMs: 40, sentMs: NaN, latencyMs: 5000, error: null }), // never sent
  ];
  const s = summarize(records);
  t.is(s.requests, 5);
  t.is(s.ok, 2);
  t.is(s.failed, 3);
  t.is(s.pending, 0);
  t.is(s.late, 2);
  t.is(s.ok + s.failed + s.pending, s.requests);
  t.deepEqual(s.outcomes, { "201": 1, "500": 1, "200": 1, ECONNREFUSED: 1, "404": 1 });
  t.like(s.byKind.write, { requests: 2, ok: 1, failed: 1 });
  t.like(s.byKind.read_id, { requests: 2, ok: 1, failed: 1 });
  t.like(s.byKind.stats, { requests: 1, ok: 0, failed: 1 });
  t.like(s.byKind.read_list, { requests: 0, ok: 0, failed: 0 });
  t.is(s.byKind.read_list.latencyMs.p50, null);
  t.is(s.latencyMs.max, 5000);
  t.is(s.latencyMs.p50, 20);
  // 5 requests scheduled over 40 ms: 4 intervals of 10 ms → 100/s
  t.is(s.achievedRps, 100);
  t.is(summarize(records, { durationSec: 0.5 }).achievedRps, 10);
  // scheduled latency includes the send lag: 25 + 30 for the late read
  t.is(s.scheduledLatencyMs.max, 5000);
  t.is(summarize([]).requests, 0);
});

test("rateAt: linear between points, held outside", (t) => {
  const s = { t: [0, 10, 20], rps: [100, 200, 0] };
  t.is(rateAt(s, -1), 100);
  t.is(rateAt(s, 0), 100);
  t.is(rateAt(s, 5), 150);
  t.is(rateAt(s, 10), 200);
  t.is(rateAt(s, 15), 100);
  t.is(rateAt(s, 30), 0);
  t.is(rateAt(constantSchedule(42), 1e6), 42);
});

test("buildSchedule: compression and linear/absolute scaling", (t) => {
  const trace = parseTrace("timestamp,value\n2014-07-01 00:00:00,10\n2014-07-01 00:10:00,30\n2014-07-01 00:20:00,20\n");
  const s = buildSchedule(trace, { compress: 600, scale: "linear", baseRps: 50, peakRps: 300 });
  t.deepEqual(s.t, [0, 1, 2]);
  t.deepEqual(s.rps, [50, 300, 175]);
  const a = buildSchedule(trace, { compress: 60, scale: "absolute" });
  t.deepEqual(a.t, [0, 10, 20]);
  t.deepEqual(a.rps, [10, 30, 20]);
  const mid = buildSchedule(trace, { compress: 600, scale: "absolute", startAt: Date.parse("2014-07-01T00:05:00Z") });
  t.deepEqual(mid.t, [0, 0.5, 1.5]);
  t.deepEqual(mid.rps, [20, 30, 20]);
  const flat = buildSchedule(parseTrace("timestamp,value\n1,5\n2,5\n"), { compress: 1, scale: "linear", baseRps: 7, peakRps: 9 });
  t.deepEqual(flat.rps, [7, 7]);
});

test("sendTimes: uniform count matches the integral, spacing 1/rate", (t) => {
  const c = [...sendTimes(constantSchedule(100), 3, 1e6)];
  t.is(c.length, 300);
  t.is(c[0], 0);
  t.true(Math.abs(c[1] - 0.01) < 1e-9);
  t.true(c.every((x, i) => i === 0 || x > c[i - 1]));
  const ramp = { t: [0, 10], rps: [0, 100] }; // 500 requests over 10 s, then 100/s
  t.is(expectedRequests(ramp, 10), 500);
  const r = [...sendTimes(ramp, 10, 1e6)];
  t.true(Math.abs(r.length - 500) <= 1, `${r.length}`);
  // Half the requests of a linear ramp fall after t = 10/√2.
  t.true(Math.abs(r[250] - 10 / Math.SQRT2) < 0.05, `${r[250]}`);
  t.is([...sendTimes(constantSchedule(100), 3, 7)].length, 7);
  t.is([...sendTimes(constantSchedule(0), 3, 100)].length, 0);
  const p = [...sendTimes(constantSchedule(200), 10, 1e6, "poisson", mulberry(1))];
  t.true(Math.abs(p.length - 2000) < 200, `${p.length}`);
});

function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

test("parseTrace: robust to CRLF, blanks, bad rows, order; NAB timestamps are UTC", (t) => {
  const tr = parseTrace('\uFEFF"timestamp","value"\r\n2014-07-01 00:30:00,2\r\n\r\nbad,3\r\n2014-07-01 00:00:00,1\r\n2014-07-01 01:00:00,x\r\n');
  t.deepEqual(tr.values, [1, 2]);
  t.is(tr.timestamps[0], Date.parse("2014-07-01T00:00:00Z"));
  t.is(tr.skipped, 2);
  t.deepEqual(parseTrace("value,timestamp\n1,1404172800\n").timestamps, [1404172800000]);
});

test("parseTrace / loadTrace: clear errors", (t) => {
  t.throws(() => parseTrace("", "f.csv"), { instanceOf: TraceError, message: /f\.csv: empty file/ });
  t.throws(() => parseTrace("time,val\n1,2\n", "f.csv"), { instanceOf: TraceError, message: /f\.csv: bad header "time,val"/ });
  t.throws(() => parseTrace("timestamp,value\nx,y\n2014-07-01 00:00:00,\n", "f.csv"), {
    instanceOf: TraceError,
    message: /f\.csv: no rows with a valid timestamp and numeric value/,
  });
  t.throws(() => loadTrace("/nonexistent/trace.csv"), { instanceOf: TraceError, message: /trace file not found: \/nonexistent\/trace\.csv/ });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lg-trace-"));
  try {
    const f = path.join(dir, "t.csv");
    fs.writeFileSync(f, "timestamp,value\n2014-07-01 00:00:00,10844\n");
    t.deepEqual(loadTrace(f).values, [10844]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("NAB series parse", (t) => {
  const f = "/work/shared/data/nab/data/realKnownCause/nyc_taxi.csv";
  if (!fs.existsSync(f)) {
    t.pass("NAB data not present");
    return;
  }
  const tr = loadTrace(f);
  t.true(tr.values.length > 10_000);
  t.is(tr.skipped, 0);
  const s = buildSchedule(tr, { compress: 600, scale: "linear", baseRps: 50, peakRps: 300 });
  t.true(s.rps.every((r) => r >= 50 && r <= 300));
  t.is(s.t[1], 3); // 30 minutes of trace at 600x
});

test("cli: parses options and reports errors", (t) => {
  const o = parseArgs(["--target", "http://127.0.0.1:18080", "--trace", "x.csv", "--compress", "600", "--base-rps=50", "--peak-rps", "300",
    "--write-ratio", "0.2", "--duration", "60", "--out", "r.jsonl", "--header", "X-Understudy-Mirror: 1", "--json"]);
  t.like(o.load, { target: "http://127.0.0.1:18080", trace: "x.csv", compress: 600, baseRps: 50, peakRps: 300, writeRatio: 0.2, durationSec: 60, out: "r.jsonl" });
  t.deepEqual(o.load.headers, { "x-understudy-mirror": "1" });
  t.true(o.json);
  t.throws(() => parseArgs(["--target", "http://x", "--duration", "1"]), { instanceOf: UsageError, message: /exactly one of --rps and --trace/ });
  t.throws(() => parseArgs(["--target", "http://x", "--rps", "abc", "--duration", "1"]), { message: /--rps expects a number/ });
  t.throws(() => parseArgs(["--target", "http://x", "--trace", "t.csv", "--duration", "1"]), { message: /needs --base-rps and --peak-rps/ });
  t.throws(() => parseArgs(["--rps", "1", "--duration", "1"]), { message: /--target is required/ });
  t.throws(() => parseArgs(["--target", "http://x", "--rps", "1", "--duration", "1", "--bogus", "1"]), { message: /unknown argument/ });
});
