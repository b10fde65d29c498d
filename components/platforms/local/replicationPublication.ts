// The primary's publication of the managed schema's tables: what both drivers read changes from
// (logical: the subscriptions; stream: the change publisher's replication slot).
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs } from "../../platform";
import { LocalResource } from "./provider";
import { publicationName } from "../../postgres/sql";

/** `primarySchema`: the schema resource on the primary, which the tables must exist in first. */
export function declarePublication(args: ReplicationArgs, primarySchema: LocalResource, parent: pulumi.Resource): LocalResource {
  return new LocalResource(
    "replicationPublication",
    `${args.service.name}-publication-${args.primaryHost}`,
    { url: args.primary.url, publication: publicationName(args.service.name), tables: args.schema.tables },
    { parent, dependsOn: [primarySchema] },
    ["url"],
  );
}
