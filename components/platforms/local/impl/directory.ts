// A directory owned by the stack (Prometheus' TSDB, logs): created, and removed on destroy.
import * as fs from "node:fs";
import { run } from "./exec";

export interface DirectoryInputs {
  path: string;
  /** Owner when we are root, for processes that run as another user. */
  owner?: string;
}

export async function create(i: DirectoryInputs): Promise<{ id: string; outs: DirectoryInputs }> {
  fs.mkdirSync(i.path, { recursive: true });
  if (i.owner && process.getuid?.() === 0) await run("chown", ["-R", `${i.owner}:`, i.path]);
  return { id: i.path, outs: i };
}

export async function read(id: string, props: DirectoryInputs): Promise<{ id: string; props: DirectoryInputs }> {
  return { id: fs.existsSync(props.path) ? id : "", props };
}

export async function remove(_id: string, props: DirectoryInputs): Promise<void> {
  fs.rmSync(props.path, { recursive: true, force: true });
}
