// Dependency discovery: which Pulumi resource plugins a program needs (GetRequiredPackages) and which npm
// packages it depends on (GetProgramDependencies), following the Go host's rules.
import * as fs from "fs";
import * as path from "path";
import { debug, errorMessage } from "./util";

export interface PackageInfo {
  name: string;
  kind: "resource";
  version: string;
  server: string;
  parameterization?: { name: string; version: string; value: Buffer };
}

interface PackageJSON {
  name?: string;
  version?: string;
  pulumi?: {
    resource?: boolean;
    name?: string;
    version?: string;
    server?: string;
    parameterization?: { name?: string; version?: string; value?: string };
  };
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface Version {
  major: number;
  minor: number;
  text: string;
}

/** Strict semver (as blang/semver.Parse): MAJOR.MINOR.PATCH with optional pre-release and build metadata. */
function parseSemver(text: string): Version | undefined {
  const m = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), text } : undefined;
}

/** Whether two @pulumi/pulumi versions can coexist in one program (Go host's compatibleVersions). */
function compatibleVersions(a: Version, b: Version): string | undefined {
  if (a.major === 0 && b.major === 0) {
    return a.minor === b.minor ? undefined : "Differing major or minor versions are not supported.";
  }
  if (a.major >= 1 && a.major <= 2 && b.major >= 1 && b.major <= 2) return undefined;
  if (a.major > 2 || b.major > 2) {
    return a.major === b.major ? undefined : "Differing major versions are not supported.";
  }
  if ((a.major === 1 && b.major === 0 && b.minor === 17) || (b.major === 1 && a.major === 0 && a.minor === 17)) {
    return undefined;
  }
  return "Differing major or minor versions are not supported.";
}

function pluginName(info: PackageJSON): string {
  if (info.pulumi?.name) return info.pulumi.name;
  if (!info.name) throw new Error('missing expected "name" property');
  if (info.name.startsWith("@pulumi/")) return info.name.slice("@pulumi/".length);
  // Third-party packages must name their plugin explicitly in the "pulumi" section.
  throw new Error(
    `Missing property "name" for the third-party plugin '${info.name}' inside package.json under the "pulumi" section.`,
  );
}

function pluginVersion(info: PackageJSON): string {
  const version = info.pulumi?.version || info.version;
  if (!version) throw new Error('Missing expected "version" property');
  return version.startsWith("v") ? version : `v${version}`;
}

function isPolicyPack(dir: string): boolean {
  return [".json", ".yaml", ".yml"].some((ext) => {
    try {
      return !fs.statSync(path.join(dir, `PulumiPolicy${ext}`)).isDirectory();
    } catch {
      return false;
    }
  });
}

class PackageScanner {
  readonly packages: PackageInfo[] = [];
  readonly errors: string[] = [];
  /** Path of each @pulumi/pulumi package.json found, with its version, to warn about incompatible copies. */
  readonly pulumiVersions = new Map<string, Version>();
  private readonly visited = new Set<string>();

  /** Walks `dir` deeply; only package.json files inside a node_modules tree describe packages. */
  scan(dir: string, inNodeModules: boolean): void {
    dir = path.resolve(dir);
    if (this.visited.has(dir)) return;
    this.visited.add(dir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      this.errors.push(`reading plugin dir ${dir}: ${errorMessage(err)}`);
      return;
    }
    for (const entry of entries) {
      let curr = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        // Resolve links so `visited` sees through them and cycles terminate.
        try {
          curr = fs.realpathSync(curr);
          isDir = fs.statSync(curr).isDirectory();
        } catch (err) {
          this.errors.push(`resolving link in plugin dir ${curr}: ${errorMessage(err)}`);
          continue;
        }
      }
      if (isDir) {
        // A nested policy pack's plugins are not dependencies of the program.
        if (!isPolicyPack(curr)) this.scan(curr, inNodeModules || path.basename(dir) === "node_modules");
      } else if (inNodeModules && entry.name === "package.json") {
        this.readPackage(curr);
      }
    }
  }

  private readPackage(file: string): void {
    let info: PackageJSON;
    try {
      info = JSON.parse(fs.readFileSync(file, "utf8")) as PackageJSON;
    } catch (err) {
      this.errors.push(`unmarshaling package.json ${file}: ${errorMessage(err)}`);
      return;
    }
    if (info.name === "@pulumi/pulumi") {
      const version = parseSemver(info.version ?? "");
      if (!version) {
        this.errors.push(`Could not understand version ${info.version} in '${file}'`);
        return;
      }
      this.pulumiVersions.set(file, version);
    }
    if (!info.pulumi?.resource) return;
    try {
      const param = info.pulumi.parameterization;
      this.packages.push({
        name: pluginName(info),
        kind: "resource",
        version: pluginVersion(info),
        server: info.pulumi.server ?? "",
        // Go decodes the JSON []byte field from base64.
        parameterization: param && {
          name: param.name ?? "",
          version: param.version ?? "",
          value: Buffer.from(param.value ?? "", "base64"),
        },
      });
    } catch (err) {
      this.errors.push(`unmarshaling package.json ${file}: ${errorMessage(err)}`);
    }
  }
}

/**
 * Every package under `programDir`'s node_modules trees whose package.json says `"pulumi": {"resource": true}`.
 * Like the Go host this only looks inside the program directory: a project that resolves its modules from a
 * parent directory's node_modules (as the fixtures inside this repo do) requires no plugins, so the CLI never
 * asks for @pulumi/aws, @pulumi/kubernetes or @pulumi/docker (which cannot be downloaded offline).
 */
export function requiredPackages(programDir: string): PackageInfo[] {
  const scanner = new PackageScanner();
  scanner.scan(programDir, false);
  if (scanner.errors.length > 0) {
    debug(3, `one or more errors while discovering plugins: ${scanner.errors.join("; ")}`);
  } else {
    const [first, ...rest] = [...scanner.pulumiVersions];
    for (const [file, version] of rest) {
      const problem = compatibleVersions(version, first[1]);
      if (problem) {
        process.stderr.write(
          `Found incompatible versions of @pulumi/pulumi. ${problem}\n` +
            `  Version ${first[1].text} referenced at ${first[0]}\n` +
            `  Version ${version.text} referenced at ${file}\n`,
        );
        break;
      }
    }
  }
  return scanner.packages;
}

function searchUp(dir: string, file: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, file);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** npm's installed packages from the nearest package-lock.json; only direct dependencies unless `transitive`. */
export function npmDependencies(programDir: string, transitive: boolean): { name: string; version: string }[] {
  const lockFile = searchUp(programDir, "package-lock.json");
  if (!lockFile) throw new Error(`no package-lock.json found (searching upwards from ${programDir})`);
  const lock = JSON.parse(fs.readFileSync(lockFile, "utf8")) as {
    packages?: Record<string, { version?: string; link?: boolean }>;
  };
  const deps: { name: string; version: string }[] = [];
  for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
    const idx = key.lastIndexOf("node_modules/");
    if (idx < 0 || pkg.link || !pkg.version) continue;
    deps.push({ name: key.slice(idx + "node_modules/".length), version: pkg.version });
  }
  if (transitive) return deps;

  const manifest = path.join(path.dirname(lockFile), "package.json");
  const info = JSON.parse(fs.readFileSync(manifest, "utf8")) as PackageJSON;
  const direct = new Set([...Object.keys(info.dependencies ?? {}), ...Object.keys(info.devDependencies ?? {})]);
  // Nested copies (a/node_modules/b) are not what the program itself imports.
  return deps.filter((d, i, all) => direct.has(d.name) && all.findIndex((o) => o.name === d.name) === i);
}
