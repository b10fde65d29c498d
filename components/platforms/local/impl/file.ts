// A file the platform renders (HAProxy and Prometheus config, service-discovery targets).
import * as fs from "node:fs";
import * as path from "node:path";

export interface FileInputs {
  path: string;
  content: string;
  mode?: number;
}

export async function create(i: FileInputs): Promise<{ id: string; outs: FileInputs }> {
  fs.mkdirSync(path.dirname(i.path), { recursive: true });
  // Write-then-rename: readers (Prometheus file discovery) never see a half-written file.
  const tmp = `${i.path}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, i.content, { mode: i.mode ?? 0o644 });
  fs.renameSync(tmp, i.path);
  return { id: i.path, outs: i };
}

export async function read(id: string, props: FileInputs): Promise<{ id: string; props: FileInputs }> {
  if (!fs.existsSync(props.path)) return { id: "", props };
  return { id, props: { ...props, content: fs.readFileSync(props.path, "utf8") } };
}

export async function update(_id: string, _olds: FileInputs, news: FileInputs): Promise<{ outs: FileInputs }> {
  return { outs: (await create(news)).outs };
}

export async function remove(_id: string, props: FileInputs): Promise<void> {
  fs.rmSync(props.path, { force: true });
}
