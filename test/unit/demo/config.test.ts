import test from "ava";
import { ConfigError, parseConfig } from "../../../demo/service/config";

const DB = "postgres://u:p@127.0.0.1:5432/db";

test("defaults with only DATABASE_URL", (t) => {
  const c = parseConfig({ DATABASE_URL: DB, UNDERSTUDY_HOST: "h1" });
  t.is(c.host, "127.0.0.1");
  t.is(c.port, 8080);
  t.is(c.role, "live");
  t.is(c.service, "demo");
  t.is(c.hostLabel, "h1");
  t.is(c.cpuCostMs, 0);
  t.is(c.faultErrorRate, 0);
  t.is(c.faultDelayMs, 0);
  t.regex(c.instance, /^demo-127\.0\.0\.1-8080$/);
});

test("all variables", (t) => {
  const c = parseConfig({
    HOST: "127.0.1.2",
    PORT: "18080",
    UNDERSTUDY_ROLE: "Shadow",
    UNDERSTUDY_SERVICE: "orders",
    UNDERSTUDY_INSTANCE: "orders-s1",
    UNDERSTUDY_HOST: "host-2",
    DATABASE_URL: "postgresql://u:p@127.0.1.2:6432/orders",
    CPU_COST_MS: "2.5",
    FAULT_ERROR_RATE: "0.1",
    FAULT_DELAY_MS: "50",
  });
  t.like(c, { host: "127.0.1.2", port: 18080, role: "shadow", service: "orders", instance: "orders-s1", hostLabel: "host-2" });
  t.is(c.cpuCostMs, 2.5);
  t.is(c.faultErrorRate, 0.1);
  t.is(c.faultDelayMs, 50);
});

const bad: [string, Record<string, string>, RegExp][] = [
  ["DATABASE_URL", {}, /DATABASE_URL: is required/],
  ["DATABASE_URL", { DATABASE_URL: "   " }, /DATABASE_URL: is required/],
  ["DATABASE_URL", { DATABASE_URL: "not a url" }, /DATABASE_URL: is not a valid URL/],
  ["DATABASE_URL", { DATABASE_URL: "mysql://u@h/db" }, /DATABASE_URL: expected scheme postgres/],
  ["PORT", { DATABASE_URL: DB, PORT: "http" }, /PORT: expected a number/],
  ["PORT", { DATABASE_URL: DB, PORT: "70000" }, /PORT: expected a value in \[0, 65535\]/],
  ["PORT", { DATABASE_URL: DB, PORT: "80.5" }, /PORT: expected an integer/],
  ["UNDERSTUDY_ROLE", { DATABASE_URL: DB, UNDERSTUDY_ROLE: "primary" }, /UNDERSTUDY_ROLE: expected "live" or "shadow"/],
  ["FAULT_ERROR_RATE", { DATABASE_URL: DB, FAULT_ERROR_RATE: "1.5" }, /FAULT_ERROR_RATE: expected a value in \[0, 1\]/],
  ["FAULT_DELAY_MS", { DATABASE_URL: DB, FAULT_DELAY_MS: "-1" }, /FAULT_DELAY_MS/],
  ["CPU_COST_MS", { DATABASE_URL: DB, CPU_COST_MS: "NaN" }, /CPU_COST_MS: expected a number/],
  ["UNDERSTUDY_INSTANCE", { DATABASE_URL: DB, UNDERSTUDY_INSTANCE: "a b" }, /UNDERSTUDY_INSTANCE/],
  ["HOST", { DATABASE_URL: DB, HOST: "http://x" }, /HOST: expected an address/],
];

for (const [variable, env, message] of bad) {
  test(`bad ${variable}: ${JSON.stringify(env[variable] ?? "(unset)")}`, (t) => {
    const e = t.throws(() => parseConfig(env), { instanceOf: ConfigError });
    t.is(e?.variable, variable);
    t.regex(e?.message ?? "", message);
  });
}
