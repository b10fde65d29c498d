// The managed schema: which tables it creates, and which of them logical replication cannot carry.
import * as fs from "node:fs";
import * as path from "node:path";
import test from "ava";
import { parseStackConfig } from "../../../components/config";
import { loadSchema, schemaTables } from "../../../components/replicationStream";
import { SCHEMA_SQL } from "../../../demo/service/store";

const ROOT = path.resolve(__dirname, "..", "..", "..", "..");

test("tables and their keys: column, table constraint, ALTER TABLE, replica identity", (t) => {
  const sql = `
    CREATE TABLE IF NOT EXISTS orders (id bigserial primary key, note text default 'no primary key here');
    create table "Audit" (id int, at timestamptz, PRIMARY KEY (id, at));
    CREATE UNLOGGED TABLE public.events (id int not null); -- primary key (comment, not a key)
    ALTER TABLE ONLY public.events ADD CONSTRAINT events_pk PRIMARY KEY (id);
    CREATE TABLE log (line text);
    CREATE TABLE wide (a int, b int);
    ALTER TABLE wide REPLICA IDENTITY FULL;
    CREATE TABLE copy AS SELECT 1 AS x;`;
  const r = schemaTables(sql);
  t.deepEqual(r.tables, ["orders", "Audit", "public.events", "log", "wide", "copy"]);
  t.deepEqual(r.keyless, ["log", "copy"]);
});

test("a table without a primary key fails the program, naming the table and the key", (t) => {
  const spec = parseStackConfig({
    "understudy:services": JSON.stringify({
      orders: { command: "x", replicas: 1, store: { host: "host-1", schema: "CREATE TABLE orders (id int primary key); CREATE TABLE notes (body text);" }, shadows: { count: 1 } },
    }),
  });
  t.throws(() => loadSchema(spec.services[0], ROOT), { message: /understudy:services\.orders\.store\.schema: table 'notes' has no primary key: logical replication needs a replica identity/ });
});

test("a schema path that does not exist is named", (t) => {
  const spec = parseStackConfig({
    "understudy:services": JSON.stringify({ orders: { command: "x", replicas: 1, store: { host: "host-1", schema: "nope/missing.sql" }, shadows: { count: 1 } } }),
  });
  t.throws(() => loadSchema(spec.services[0], ROOT), { message: /store\.schema: file .*nope\/missing\.sql does not exist/ });
});

test("demo/schema/orders.sql is the orders service's own DDL", (t) => {
  const file = fs.readFileSync(path.join(ROOT, "demo", "schema", "orders.sql"), "utf8");
  const norm = (s: string): string => s.replace(/--[^\n]*/g, "").replace(/\s+/g, " ").replace(/;\s*$/, "").trim();
  t.is(norm(file), norm(SCHEMA_SQL));
});
