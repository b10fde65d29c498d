import { ReplicationDriver } from "./driver";
import { logicalDriver } from "./logicalDriver";
import { streamDriver } from "./streamDriver";

export function driverFor(name: "logical" | "stream"): ReplicationDriver {
  return name === "logical" ? logicalDriver : streamDriver;
}
