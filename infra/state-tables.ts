// The data layer: the two DynamoDB tables every part shares (`events`, `state`), with the key schema from
// shared/store/tables.ts. They hold the only copy of the events, so they outlive the stack.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TableName } from '#shared/store/store.ts';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '#shared/store/tables.ts';

/** The item-level actions the state store's DynamoDB adapter sends (shared/store/dynamodb.ts); never Scan. */
export type ItemAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';

/** Actions on the items of some partitions: what a function's code does there, nothing more. */
export interface KeyGrant {
  readonly actions: readonly ItemAction[];
  /** Partition key values (`pk`), `*` matching any characters: 'RUN#plan-reports', 'KPI#*'. */
  readonly keys: readonly string[];
}

/**
 * One statement per grant: its actions on the table only (no index, no stream), on items whose partition key matches
 * one of its keys. DynamoDB checks `dynamodb:LeadingKeys` on every item a request touches, BatchWriteItem included;
 * Scan has no leading key, which is why no grant may hold it (ForAllValues over no keys would match).
 */
export function keyGrantStatements(table: dynamodb.ITable, grants: readonly KeyGrant[]): iam.PolicyStatement[] {
  return grants.map(
    (grant) =>
      new iam.PolicyStatement({
        actions: grant.actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.keys] } },
      }),
  );
}

const logicalNames = new WeakMap<dynamodb.ITable, TableName>();

/** `EVENTS_TABLE` / `STATE_TABLE`: the env var shared/runtime/lambda.ts reads a table's name from. */
export function tableEnvVar(table: dynamodb.ITable): string {
  const name = logicalNames.get(table);
  if (!name) throw new Error(`${table.node.path} is not one of the StateTables; only those can be bound`);
  return `${name.toUpperCase()}_TABLE`;
}

export class StateTables extends Construct {
  /** Raw events (one item per messageId, day-sharded) and the quarantine of rejected ones. */
  public readonly events: dynamodb.Table;
  /** KPI values, incidents, deliveries, job runs, check results. */
  public readonly state: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.events = this.table('Events', 'events');
    this.state = this.table('State', 'state');
  }

  private table(id: string, name: TableName): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      // No physical name: a retained table never blocks the next deployment of the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logicalNames.set(table, name);
    return table;
  }
}
