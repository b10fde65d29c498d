// A runner pod's work dir: the stack's project and config files arrive read-only (a ConfigMap), but
// the runner writes the config keys it changes, so it works on a copy on its volume. The copy
// stands across restarts; a new config from the admin (its digest differs from the one last
// seeded) replaces it once — the admin's edit wins over the runner's, never silently the reverse.
//   node dist/automation/runner/seed.js --from DIR --to DIR --stack NAME
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export function seedWorkDir(from: string, to: string, stack: string): string[] {
  const project = path.join(from, "Pulumi.yaml");
  const config = path.join(from, `Pulumi.${stack}.yaml`);
  for (const f of [project, config]) if (!fs.existsSync(f)) throw new Error(`seed: ${f} is missing; the runner's seed ConfigMap must hold Pulumi.yaml and Pulumi.${stack}.yaml`);
  fs.mkdirSync(to, { recursive: true });
  // The project file is the image's and the admin's, never the runner's: always the given one.
  fs.copyFileSync(project, path.join(to, "Pulumi.yaml"));
  const text = fs.readFileSync(config);
  const digest = createHash("sha256").update(text).digest("hex");
  const stamp = path.join(to, `.seed-${stack}.sha256`);
  const target = path.join(to, `Pulumi.${stack}.yaml`);
  const last = fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8").trim() : undefined;
  if (last === digest && fs.existsSync(target)) return [`kept the runner's copy of Pulumi.${stack}.yaml (the seed is unchanged)`];
  // Written beside and renamed: a pod killed mid-copy never leaves half a config.
  fs.writeFileSync(`${target}.tmp`, text);
  fs.renameSync(`${target}.tmp`, target);
  fs.writeFileSync(stamp, digest);
  return [last === undefined ? `seeded Pulumi.${stack}.yaml` : `replaced the runner's Pulumi.${stack}.yaml with the admin's new config`];
}

function flag(argv: string[], name: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (!v) throw new Error(`usage: seed --from DIR --to DIR --stack NAME (missing --${name})`);
  return v;
}

if (require.main === module) {
  try {
    const argv = process.argv.slice(2);
    for (const note of seedWorkDir(flag(argv, "from"), flag(argv, "to"), flag(argv, "stack"))) console.log(`seed: ${note}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
