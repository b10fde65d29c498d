// Where the local platform keeps its runtime files: one git-ignored folder per stack.
import * as path from "node:path";

export interface LocalContext {
  /** The project root (holds dist/ and node_modules/). */
  root: string;
  /** <root>/.understudy/<stack>: supervisor home, configs, data dirs, logs. */
  stateDir: string;
  hosts: string[];
}

export function localContext(root: string, stack: string, hosts: string[]): LocalContext {
  return { root, stateDir: path.join(root, ".understudy", stack), hosts };
}

export const supervisorHome = (c: LocalContext): string => path.join(c.stateDir, "pm2");
export const logDir = (c: LocalContext): string => path.join(c.stateDir, "logs");
export const targetsDir = (c: LocalContext): string => path.join(c.stateDir, "prometheus", "targets");

/**
 * PATH of supervised processes: fixed, not inherited, so the same stack declares the same processes
 * whether `pulumi up` runs from a shell, the runner or a test (no spurious replacements).
 */
export const PROCESS_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
