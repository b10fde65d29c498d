// The PM2 daemon as a resource: started before any process (parallel creates must not race to start
// it) and stopped after the last one, so `destroy` leaves no daemon behind.
import * as fs from "node:fs";
import * as supervisor from "./supervisor";

export interface SupervisorInputs {
  home: string;
}

export async function create(i: SupervisorInputs): Promise<{ id: string; outs: SupervisorInputs }> {
  await supervisor.ensureDaemon(i.home);
  return { id: i.home, outs: i };
}

export async function read(id: string, props: SupervisorInputs): Promise<{ id: string; props: SupervisorInputs }> {
  // A dead daemon is restarted rather than reported gone: its processes are separate resources.
  await supervisor.ensureDaemon(props.home);
  return { id, props };
}

export async function remove(_id: string, props: SupervisorInputs): Promise<void> {
  await supervisor.shutdown(props.home);
  fs.rmSync(props.home, { recursive: true, force: true });
}
