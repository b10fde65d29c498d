// Decoding pgoutput (protocol 1) into whole transactions and fence markers.
import test from "ava";
import { mergeTransactions, PgOutputDecoder, pgTime } from "../../../automation/replication/pgoutput";

const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);
const i8 = (n: number): Buffer => Buffer.from([n]);
const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const tag = (c: string): Buffer => Buffer.from(c, "ascii");
const text = (s: string): Buffer => Buffer.concat([tag("t"), i32(Buffer.byteLength(s)), Buffer.from(s)]);

const relation = Buffer.concat([tag("R"), i32(16384), cstr("public"), cstr("orders"), i8(100), i16(3), i8(1), cstr("id"), i32(20), i32(-1), i8(0), cstr("customer"), i32(25), i32(-1), i8(0), cstr("note"), i32(25), i32(-1)]);
const begin = Buffer.concat([tag("B"), i64(0x2000n), i64(0n), i32(700)]);
const insert = Buffer.concat([tag("I"), i32(16384), tag("N"), i16(3), text("7"), text("ada"), tag("n")]);
const update = Buffer.concat([tag("U"), i32(16384), tag("N"), i16(3), text("7"), text("bob"), tag("u")]);
const del = Buffer.concat([tag("D"), i32(16384), tag("K"), i16(3), text("7"), tag("n"), tag("n")]);
const commit = Buffer.concat([tag("C"), i8(0), i64(0x2000n), i64(0x2040n), i64(1_000_000n)]);

test("a transaction comes out whole at its commit, keyed by its end LSN", (t) => {
  const d = new PgOutputDecoder();
  for (const m of [relation, begin, insert, update, del]) t.is(d.push(m), undefined);
  const e = d.push(commit);
  t.deepEqual(e, {
    lsn: String(0x2040),
    time: pgTime(1_000_000n),
    changes: [
      { op: "insert", table: "public.orders", keys: ["id"], row: { id: "7", customer: "ada", note: null } },
      // An unchanged TOASTed value is absent, so the update leaves it as it is.
      { op: "update", table: "public.orders", keys: ["id"], row: { id: "7", customer: "bob" } },
      { op: "delete", table: "public.orders", keys: ["id"], row: { id: "7", customer: null, note: null } },
    ],
  });
  t.is(pgTime(1_000_000n), "2000-01-01T00:00:01.000Z");
});

test("a non-transactional fence message is a marker; other messages are ignored", (t) => {
  const d = new PgOutputDecoder();
  const msg = (prefix: string, transactional: number): Buffer => Buffer.concat([tag("M"), i8(transactional), i64(0x3000n), cstr(prefix), i32(5), Buffer.from("tok-1")]);
  t.like(d.push(msg("understudy-fence", 0)), { lsn: String(0x3000), marker: "tok-1" });
  t.is(d.push(msg("someone-else", 0)), undefined);
  t.is(d.push(msg("understudy-fence", 1)), undefined);
});

test("a change for a relation never described is an error, not a guess", (t) => {
  const d = new PgOutputDecoder();
  d.push(begin);
  t.throws(() => d.push(insert), { message: /unknown relation 16384/ });
});

test("transactions merged into one entry keep their changes in commit order, the last LSN and time", (t) => {
  const change = (id: string) => ({ op: "insert" as const, table: "public.orders", keys: ["id"], row: { id } });
  const merged = mergeTransactions([
    { lsn: "100", time: "2026-01-01T00:00:00.000Z", changes: [change("1"), change("2")] },
    { lsn: "200", time: "2026-01-01T00:00:01.000Z", changes: [] },
    { lsn: "300", time: "2026-01-01T00:00:02.000Z", changes: [change("3")] },
  ]);
  t.deepEqual(merged, { lsn: "300", time: "2026-01-01T00:00:02.000Z", changes: [change("1"), change("2"), change("3")] });
  const one = { lsn: "5", time: "2026-01-01T00:00:00.000Z", changes: [change("9")] };
  t.is(mergeTransactions([one]), one);
});
