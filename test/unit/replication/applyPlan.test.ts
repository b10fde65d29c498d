// The stream driver's apply plan: many changes, few statements, the same meaning as one by one.
import test from "ava";
import { applyPlan, applyScript } from "../../../automation/replication/applyPlan";
import { Change } from "../../../automation/replication/pgoutput";

const ins = (id: string, customer: string, table = "public.orders"): Change => ({ op: "insert", table, keys: ["id"], row: { id, customer } });
const upd = (id: string, customer: string): Change => ({ op: "update", table: "public.orders", keys: ["id"], row: { id, customer } });
const del = (id: string): Change => ({ op: "delete", table: "public.orders", keys: ["id"], row: { id } });
const rows = (params: string[]): unknown => JSON.parse(params[0]);

test("a thousand inserts of one table are one upsert", (t) => {
  const plan = applyPlan(Array.from({ length: 1000 }, (_, i) => ins(String(i), "c")));
  t.is(plan.length, 1);
  t.regex(plan[0].sql, /^INSERT INTO "public"\."orders" SELECT \* FROM json_populate_recordset/);
  t.regex(plan[0].sql, /ON CONFLICT \("id"\) DO UPDATE SET/);
  t.is((rows(plan[0].params) as unknown[]).length, 1000);
});

test("a key written twice in a run keeps its last row, in the order of last writes", (t) => {
  const plan = applyPlan([ins("1", "ada"), ins("2", "bob"), upd("1", "cyd")]);
  t.is(plan.length, 1);
  t.deepEqual(rows(plan[0].params), [
    { id: "2", customer: "bob" },
    { id: "1", customer: "cyd" },
  ]);
});

test("order between kinds is kept: insert, delete, insert of one key are three statements", (t) => {
  const plan = applyPlan([ins("1", "ada"), del("1"), ins("1", "bob")]);
  t.deepEqual(
    plan.map((s) => s.sql.split(" ")[0]),
    ["INSERT", "DELETE", "INSERT"],
  );
  t.deepEqual(rows(plan[2].params), [{ id: "1", customer: "bob" }]);
});

test("consecutive deletes are one statement", (t) => {
  const plan = applyPlan([del("1"), del("2"), del("3")]);
  t.is(plan.length, 1);
  t.regex(plan[0].sql, /^DELETE FROM "public"\."orders" USING json_populate_recordset\(null::"public"\."orders", \$1::json\) AS k WHERE "public"\."orders"\."id" = k\."id"$/);
  t.deepEqual(rows(plan[0].params), [{ id: "1" }, { id: "2" }, { id: "3" }]);
});

test("a row missing an unchanged TOASTed column starts a new run and updates only what it carries", (t) => {
  const plan = applyPlan([ins("1", "ada"), { op: "update", table: "public.orders", keys: ["id"], row: { id: "2" } }]);
  t.is(plan.length, 2);
  t.notRegex(plan[1].sql, /customer/);
  t.regex(plan[1].sql, /UPDATE SET "id" = EXCLUDED\."id"/);
});

test("tables and key changes split runs; a key change deletes the old key first", (t) => {
  const plan = applyPlan([
    ins("1", "ada"),
    ins("9", "x", "public.items"),
    { op: "update", table: "public.orders", keys: ["id"], row: { id: "5", customer: "ada" }, old: { id: "1" } },
    ins("6", "eve"),
  ]);
  t.deepEqual(
    plan.map((s) => s.sql.split("json_populate_recordset")[0].trim()),
    ['INSERT INTO "public"."orders" SELECT * FROM', 'INSERT INTO "public"."items" SELECT * FROM', 'DELETE FROM "public"."orders" USING', 'INSERT INTO "public"."orders" SELECT * FROM'],
  );
  t.deepEqual(rows(plan[2].params), [{ id: "1" }]);
  t.deepEqual(rows(plan[3].params), [
    { id: "5", customer: "ada" },
    { id: "6", customer: "eve" },
  ]);
});

test("truncate is a barrier", (t) => {
  const plan = applyPlan([ins("1", "ada"), { op: "truncate", table: "public.orders", keys: [], row: {} }, ins("2", "bob")]);
  t.deepEqual(
    plan.map((s) => s.sql.split(" ")[0]),
    ["INSERT", "TRUNCATE", "INSERT"],
  );
});

test("the script form is the same statements, each value spliced in as the given literal", (t) => {
  const changes = [ins("1", "o'hara"), ins("2", "bob"), del("3"), { op: "truncate", table: "public.orders", keys: [], row: {} } as Change, ins("4", "cyd")];
  const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;
  const expected = applyPlan(changes)
    .map((s) => `${s.params.length > 0 ? s.sql.replace("$1", literal(s.params[0])) : s.sql};\n`)
    .join("");
  t.is(applyScript(changes, literal), expected);
  t.regex(applyScript(changes, literal), /'\[\{"id":"1","customer":"o''hara"\}/);
  t.is(applyScript(changes, literal).split(";\n").length - 1, 4);
});
