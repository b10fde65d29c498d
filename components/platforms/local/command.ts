// Turns a service's configured command line into an argv the supervisor can exec.
import * as fs from "node:fs";
import * as path from "node:path";

/** Split on whitespace (no shell quoting: a command needing it belongs in a script). */
export function resolveCommand(command: string, root: string): string[] {
  const [exe, ...args] = command.trim().split(/\s+/);
  if (exe === "node") return [process.execPath, ...args.map((a) => resolveArg(a, root))];
  if (exe.includes("/")) return [path.resolve(root, exe), ...args.map((a) => resolveArg(a, root))];
  for (const dir of (process.env.PATH ?? "").split(":")) {
    const p = path.join(dir, exe);
    if (fs.existsSync(p)) return [p, ...args.map((a) => resolveArg(a, root))];
  }
  throw new Error(`command '${exe}' is not on PATH; give an absolute path or one relative to the project root`);
}

/** Relative paths that exist under the project root become absolute (the process's cwd may differ). */
function resolveArg(a: string, root: string): string {
  if (a.startsWith("-") || path.isAbsolute(a) || !a.includes("/")) return a;
  const p = path.resolve(root, a);
  return fs.existsSync(p) ? p : a;
}
