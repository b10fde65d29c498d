// End-to-end tests of the TypeScript language host (tools/language-host) under the real Pulumi CLI, offline:
// preview/up/destroy of a small nodejs project, failing programs, a policy pack, and GetRequiredPackages over gRPC.
//
// Needs .toolchain/bin/pulumi and both builds: `npx tsc -p tsconfig.json && npx tsc -p tools/language-host/tsconfig.json`.
import test from "ava";
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import * as grpc from "@grpc/grpc-js";
import { LanguageRuntimeClient } from "@pulumi/pulumi/proto/language_grpc_pb";
import { GetRequiredPackagesRequest, GetRequiredPackagesResponse, ProgramInfo } from "@pulumi/pulumi/proto/language_pb";

const REPO = path.resolve(__dirname, "../../../..");
const LAUNCHER = path.join(REPO, "tools/language-host/pulumi-language-nodejs");
const STACK = "langhost";
const GREETING = "hello from langhost";
const SECRET = "s3cr3t-langhost-value";

// The programs must live inside the repository so that Node resolves @pulumi/* from its node_modules; dist/ is
// git-ignored. The compiled fixture programs sit next to copies of their Pulumi*.yaml and package.json.
const work = fs.mkdtempSync(path.join(REPO, "dist/langhost-work-"));
const project = path.join(work, "project");
const policyPack = path.join(work, "policy");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "langhost-"));

function stage(fixture: string, dest: string, files: string[]): void {
  fs.mkdirSync(dest, { recursive: true });
  for (const f of files) fs.copyFileSync(path.join(REPO, "test/fixtures", fixture, f), path.join(dest, f));
  fs.copyFileSync(path.join(REPO, "dist/test/fixtures", fixture, "index.js"), path.join(dest, "index.js"));
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: [
    path.join(REPO, ".toolchain/bin"),
    path.join(REPO, "tools/language-host"),
    // pulumi-resource-pulumi-nodejs, the dynamic provider plugin.
    path.join(REPO, "node_modules/@pulumi/pulumi"),
    process.env.PATH,
  ].join(path.delimiter),
  PULUMI_SKIP_UPDATE_CHECK: "1",
  PULUMI_CONFIG_PASSPHRASE: "langhost-test",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_HOME: path.join(scratch, "home"),
  PULUMI_BACKEND_URL: `file://${path.join(scratch, "state")}`,
  NO_COLOR: "1",
};

interface Result {
  code: number;
  output: string;
}

function pulumi(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      "pulumi",
      [...args, "--non-interactive", "--color", "never"],
      { cwd: project, env: { ...env, ...extraEnv }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

test.before(async (t) => {
  for (const file of [LAUNCHER, path.join(REPO, "dist/tools/language-host/main.js")]) {
    if (!fs.existsSync(file)) throw new Error(`${file} is missing; build tools/language-host first`);
  }
  fs.mkdirSync(path.join(scratch, "state"));
  stage("langhost-project", project, ["Pulumi.yaml", "package.json"]);
  stage("langhost-policy", policyPack, ["PulumiPolicy.yaml", "package.json"]);
  for (const args of [
    ["stack", "init", STACK, "--secrets-provider", "passphrase"],
    ["config", "set", "greeting", GREETING],
    ["config", "set", "--secret", "token", SECRET],
  ]) {
    const r = await pulumi(args);
    t.is(r.code, 0, r.output);
  }
});

test.after.always(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(scratch, { recursive: true, force: true });
});

test.serial("preview, up, a no-change preview and destroy run the program through the host", async (t) => {
  const preview = await pulumi(["preview"]);
  t.is(preview.code, 0, preview.output);
  t.regex(preview.output, /\+ 2 to create/);
  t.regex(preview.output, new RegExp(`greeting\\s*:\\s*"${GREETING}"`));

  const up = await pulumi(["up", "--yes"]);
  t.is(up.code, 0, up.output);
  t.regex(up.output, /\+ 2 created/);
  t.regex(up.output, new RegExp(`noteText\\s*:\\s*"${GREETING}"`));
  t.regex(up.output, /token\s*:\s*\[secret\]/);
  t.false(up.output.includes(SECRET), "the secret must not be printed");

  const again = await pulumi(["preview", "--expect-no-changes"]);
  t.is(again.code, 0, again.output);
  t.regex(again.output, /2 unchanged/);

  const destroy = await pulumi(["destroy", "--yes"]);
  t.is(destroy.code, 0, destroy.output);
  t.regex(destroy.output, /- 2 deleted/);
});

test.serial("a program that throws fails the preview with its error message", async (t) => {
  const r = await pulumi(["preview"], { LANGHOST_FIXTURE_THROW: "1" });
  t.not(r.code, 0);
  t.regex(r.output, /Error: langhost fixture failed on purpose/);
});

test.serial("a program that exits non-zero is reported with its exit code", async (t) => {
  const r = await pulumi(["preview"], { LANGHOST_FIXTURE_EXIT: "7" });
  t.not(r.code, 0);
  t.regex(r.output, /Program exited with non-zero exit code: 7/);
});

test.serial("a policy pack runs through RunPlugin and reports a mandatory violation", async (t) => {
  const r = await pulumi(["preview", "--policy-pack", policyPack]);
  t.not(r.code, 0, r.output);
  t.regex(r.output, /\[mandatory\]\s+no-dynamic-resources/);
  // The stack name reaches the pack only through the stack configuration the host's policy proxy forwards.
  t.regex(r.output, new RegExp(`dynamic resource 'note' is not allowed in stack '${STACK}'`));
});

test.serial("GetRequiredPackages lists only resource plugins under the program's own node_modules", async (t) => {
  const program = path.join(scratch, "program");
  const writePackage = (dir: string, pkg: object) => {
    fs.mkdirSync(path.join(program, dir), { recursive: true });
    fs.writeFileSync(path.join(program, dir, "package.json"), JSON.stringify(pkg));
  };
  writePackage("node_modules/@pulumi/fake", { name: "@pulumi/fake", version: "1.2.3", pulumi: { resource: true } });
  writePackage("node_modules/plain", { name: "plain", version: "1.0.0" });
  writePackage("policy/node_modules/@pulumi/other", { name: "@pulumi/other", version: "1.0.0", pulumi: { resource: true } });
  fs.writeFileSync(path.join(program, "policy/PulumiPolicy.yaml"), "runtime: nodejs\n");

  const host = spawn(LAUNCHER, [], { env, stdio: ["ignore", "pipe", "inherit"] });
  try {
    // Like the CLI: the first line the host prints is its port.
    const lines = readline.createInterface({ input: host.stdout })[Symbol.asyncIterator]();
    const port = (await lines.next()).value as string;
    const client = new LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const required = (dir: string) =>
      new Promise<GetRequiredPackagesResponse>((resolve, reject) =>
        client.getRequiredPackages(
          new GetRequiredPackagesRequest().setInfo(new ProgramInfo().setProgramDirectory(dir).setRootDirectory(dir)),
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );

    const found = (await required(program)).getPackagesList().map((p) => [p.getName(), p.getVersion(), p.getKind()]);
    t.deepEqual(found, [["fake", "v1.2.3", "resource"]]);
    // The fixture resolves @pulumi/* from the repository's node_modules, so it must not ask for aws/docker/kubernetes.
    t.deepEqual((await required(project)).getPackagesList(), []);
    client.close();
  } finally {
    host.kill();
  }
});
