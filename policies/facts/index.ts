// All platforms' facts from one list of resources: each extractor looks only at its own types.
import { ResourceArgs } from "../model";
import { addAwsFacts } from "./aws";
import { addDockerFacts } from "./docker";
import { addKubernetesFacts } from "./kubernetes";
import { addLocalFacts } from "./local";
import { emptyFacts, Facts } from "./types";

export function collectFacts(resources: ResourceArgs[]): Facts {
  const f = emptyFacts(resources);
  addLocalFacts(f, resources);
  addDockerFacts(f, resources);
  addKubernetesFacts(f, resources);
  addAwsFacts(f, resources);
  return f;
}

export * from "./types";
