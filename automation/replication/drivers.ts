import { ReplicationDriver } from "./driver";
import { logicalDriver } from "./logicalDriver";

export function driverFor(name: "logical" | "stream"): ReplicationDriver {
  if (name === "logical") return logicalDriver;
  throw new Error(`replication driver '${name}' is not available`);
}
