// PostgreSQL vocabulary of the replication providers.
import test from "ava";
import { bigIntToLsn, conninfo, lsnToBigInt, standbyNames, subscriptionName } from "../../../components/postgres/sql";

test("sync = ANY 1 of the subscriptions (quorum); async = nobody waited for", (t) => {
  t.is(standbyNames("sync", ["understudy_orders_host_3", "understudy_orders_host_4"]), 'ANY 1 ("understudy_orders_host_3", "understudy_orders_host_4")');
  t.is(standbyNames("async", ["a"]), "");
  t.is(standbyNames("sync", []), "");
});

test("subscription names are valid identifiers", (t) => {
  t.is(subscriptionName("my-svc", "host-3"), "understudy_my_svc_host_3");
});

test("conninfo quotes every value for libpq (a password with quotes and backslashes)", (t) => {
  const url = `postgres://u:${encodeURIComponent("p'w\\x y")}@127.0.1.1:15432/orders`;
  t.is(conninfo(url), "host='127.0.1.1' port='15432' user='u' password='p\\'w\\\\x y' dbname='orders' connect_timeout='5'");
});

test("LSN text ↔ byte offset", (t) => {
  t.is(lsnToBigInt("1/0"), 4294967296n);
  t.is(lsnToBigInt("0/16B3748"), 0x16b3748n);
  t.is(bigIntToLsn(0x1_0000_00ffn), "1/FF");
});
