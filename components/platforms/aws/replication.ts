// Replication on aws is the RDS read replica itself (store() declares one per shadow zone): the
// stream is PostgreSQL's physical replication run by RDS, so the replicas carry the schema and every
// change with no publication to keep. What this adds: the managed schema, applied to the primary by
// an SSM association on the live instances (RDS runs no SQL of ours), and a CloudWatch alarm per
// replica when ReplicaLag exceeds the service's maxLagSeconds.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ReplicationArgs, ReplicationHandle } from "../../platform";
import { StoreRecord, StoreRegistry } from "./store";
import { TAG_ROLE, TAG_SERVICE, tags } from "./tags";

/** Shell commands that apply the schema as the store's owner; the password comes from Secrets Manager. */
export function schemaCommands(primary: { host: string; database: string; user: string; secretArn: string }, sql: string): string[] {
  const region = primary.secretArn.split(":")[3] ?? "";
  return [
    "set -euo pipefail",
    `secret=$(aws secretsmanager get-secret-value --region '${region}' --secret-id '${primary.secretArn}' --query SecretString --output text)`,
    "export PGPASSWORD=$(printf '%s' \"$secret\" | jq -r .password)",
    `psql 'host=${primary.host} port=5432 dbname=${primary.database} user=${primary.user} sslmode=require' -v ON_ERROR_STOP=1 <<'UNDERSTUDY_SCHEMA'`,
    sql,
    "UNDERSTUDY_SCHEMA",
  ];
}

function schemaAssociation(args: ReplicationArgs, primary: StoreRecord, parent: pulumi.Resource): aws.ssm.Association {
  const svc = args.service;
  const commands = pulumi
    .all([primary.address, primary.secretArn])
    .apply(([host, secretArn]) => schemaCommands({ host, database: primary.database, user: primary.user, secretArn }, args.schema.sql));
  // Targets the live instances by tag, now and as they are replaced; one at a time (the DDL is idempotent).
  return new aws.ssm.Association(
    `${svc.name}-schema`,
    {
      name: "AWS-RunShellScript",
      associationName: `${svc.name}-schema`,
      targets: [
        { key: `tag:${TAG_SERVICE}`, values: [svc.name] },
        { key: `tag:${TAG_ROLE}`, values: ["live"] },
      ],
      parameters: { commands: commands.apply((c) => c.join("\n")) },
      maxConcurrency: "1",
      maxErrors: "0",
      tags: tags(`${svc.name}-schema`, svc),
    },
    { parent, dependsOn: [primary.instance] },
  );
}

export function createReplication(args: ReplicationArgs, registry: StoreRegistry, parent: pulumi.Resource): ReplicationHandle {
  const svc = args.service;
  schemaAssociation(args, registry.of(args.primary.url), parent);
  const ready: pulumi.Resource[] = [];
  for (const r of args.replicas) {
    const replica = registry.of(r.store.url);
    const name = `${svc.name}-replica-lag-${r.host}`;
    new aws.cloudwatch.MetricAlarm(
      name,
      {
        namespace: "AWS/RDS",
        metricName: "ReplicaLag",
        dimensions: { DBInstanceIdentifier: replica.instance.identifier },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
        threshold: svc.replication.maxLagSeconds,
        treatMissingData: "breaching",
        alarmDescription: `replica of '${svc.name}' in ${r.host} lags more than ${svc.replication.maxLagSeconds}s: not promotable`,
        tags: tags(name, svc),
      },
      { parent },
    );
    // Not the association: it runs on live instances, which wait for this handle in sync mode.
    ready.push(replica.instance);
  }
  return { ready };
}
