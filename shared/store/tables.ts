// Key schema of Nightshift's tables: one definition used by the CDK stack and by the local table creation.
import type { TableName } from './store.ts';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
export const TTL_ATTRIBUTE = 'ttl';
export const TABLES: readonly TableName[] = ['events', 'state'];

/** Physical table names, e.g. from the Lambda environment or a test's prefix. */
export type TableNames = Record<TableName, string>;

export function tableNames(prefix: string): TableNames {
  return { events: `${prefix}-events`, state: `${prefix}-state` };
}
