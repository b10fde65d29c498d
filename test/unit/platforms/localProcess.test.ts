// The local platform's process resource: which input changes restart the process and which are a
// role switch applied in place (a promotion), as the dynamic provider's diff decides.
import test from "ava";
import { diff, ProcessInputs, ProcessOutputs } from "../../../components/platforms/local/impl/process";

function instance(role: "live" | "shadow", db: string): ProcessInputs {
  const name = `orders-${role}-host-3`;
  return {
    supervisorHome: "/x/pm2",
    name,
    argv: ["node", "main.js"],
    cwd: "/x",
    env: { PORT: "1", UNDERSTUDY_ROLE: role, UNDERSTUDY_INSTANCE: name, UNDERSTUDY_ROLE_FILE: "/x/roles/orders-host-3.json" },
    secretEnv: { DATABASE_URL: db, PRIMARY_DATABASE_URL: "postgres://primary" },
    address: "127.0.1.3",
    port: 1,
    healthPath: "/healthz",
    logDir: "/x/logs",
    succeeds: [`orders-${role === "live" ? "shadow" : "live"}-host-3`],
    roleSwitch: {
      path: "/admin/role",
      body: { role, instance: name },
      file: "/x/roles/orders-host-3.json",
      env: ["UNDERSTUDY_ROLE", "UNDERSTUDY_INSTANCE"],
      secretEnv: ["DATABASE_URL"],
      inPlace: role === "live",
    },
  };
}

const running = (i: ProcessInputs): ProcessOutputs => ({ ...i, pid: 42, status: "online", restarts: 0, supervisorName: i.name });

test("a promotion is an update in place: role, instance name and store follow the role, nothing restarts", async (t) => {
  const d = await diff("id", running(instance("shadow", "postgres://replica-3")), instance("live", "postgres://primary"));
  t.deepEqual(d, { changes: true, replaces: [], deleteBeforeReplace: true });
});

test("the same declaration again is no change", async (t) => {
  const live = instance("live", "postgres://primary");
  t.false((await diff("id", running(live), live)).changes);
});

test("a demotion restarts: the replica it must read is created by the same up", async (t) => {
  const d = await diff("id", running(instance("live", "postgres://primary")), instance("shadow", "postgres://replica-3"));
  t.true(d.changes);
  t.true(d.replaces.includes("env"), d.replaces.join(","));
});

test("anything else that changes with a promotion still restarts: another command, another primary", async (t) => {
  const other = { ...instance("live", "postgres://primary2"), secretEnv: { DATABASE_URL: "postgres://primary2", PRIMARY_DATABASE_URL: "postgres://primary2" } };
  t.deepEqual((await diff("id", running(instance("shadow", "postgres://replica-3")), other)).replaces, ["secretEnv"]);
  const argv = { ...instance("live", "postgres://primary"), argv: ["node", "other.js"] };
  t.deepEqual((await diff("id", running(instance("shadow", "postgres://replica-3")), argv)).replaces, ["argv"]);
});

test("a process declared before role switches existed is replaced once; a stopped one always", async (t) => {
  const old = running(instance("shadow", "postgres://replica-3"));
  delete old.roleSwitch;
  t.true((await diff("id", old, instance("live", "postgres://primary"))).replaces.includes("roleSwitch"));
  const stopped = { ...running(instance("live", "postgres://primary")), status: "stopped" };
  t.deepEqual((await diff("id", stopped, instance("live", "postgres://primary"))).replaces, ["status"]);
});
