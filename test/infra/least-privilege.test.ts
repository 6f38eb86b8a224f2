// Each function's role in the synthesized template, as IAM will evaluate it: exact DynamoDB actions on exact partitions
// of exact tables, the people it may read, and nothing it does not use (no Scan, no index, no DeleteItem but the
// rollup's on late-day marks). Written out here by hand, not derived from infra/table-access.ts, so a change to the
// grants has to change this specification too.
import { describe, expect, it } from 'vitest';
import type { NightshiftFunction } from '#infra/nightshift-function.ts';
import { actionsOf, logicalId, roleStatements, type Statement, synthesize } from './support.ts';

const { stack, template } = synthesize();
const tables = { events: logicalId(stack.tables.events), state: logicalId(stack.tables.state) };
const fns: Record<string, NightshiftFunction> = {
  'ingest-events': stack.ingestion.ingest,
  'http-ingest': stack.httpIngestion.handler,
  'send-email': stack.delivery.sendEmail!,
  'email-feedback': stack.delivery.emailFeedback!,
  ...(stack.jobs.functions as Record<string, NightshiftFunction>),
};

interface Grant {
  table: 'events' | 'state';
  actions: string[];
  keys: string[];
}

/** The role's DynamoDB statements on the two tables, as table, sorted actions and leading keys. */
function tableGrants(fn: NightshiftFunction): Grant[] {
  return roleStatements(template, logicalId(fn.role))
    .filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))
    .filter((s) => Object.values(tables).some((t) => JSON.stringify(s.Resource).includes(t)))
    .map((s) => {
      const table = JSON.stringify(s.Resource).includes(tables.events) ? 'events' : 'state';
      const condition = s.Condition as { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } };
      return {
        table,
        actions: actionsOf(s)
          .map((a) => a.replace('dynamodb:', ''))
          .sort(),
        keys: condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? [],
      };
    });
}

const g = (table: Grant['table'], actions: string[], keys: string[]): Grant => ({
  table,
  actions: [...actions].sort(),
  keys,
});

const EXPECTED: Record<string, Grant[]> = {
  'ingest-events': [
    g('events', ['BatchWriteItem'], ['EV#*', 'Q#*', 'DIRTY']),
    g('events', ['PutItem'], ['STATS#ingest']),
  ],
  'http-ingest': [g('events', ['BatchWriteItem'], ['Q#*'])],
  'rollup-kpis': [
    g('events', ['Query'], ['EV#*', 'Q#*', 'DIRTY']),
    g('events', ['DeleteItem'], ['DIRTY']),
    g('state', ['GetItem', 'Query', 'PutItem', 'BatchWriteItem'], ['DAYSUM#*']),
    g('state', ['Query'], ['FIGURES#day']),
    g('state', ['BatchWriteItem'], ['KPI#*', 'SCORE#*', 'FIGURES#day']),
    g('state', ['PutItem'], ['RUN#rollup-kpis']),
  ],
  'detect-anomalies': [
    g('events', ['Query'], ['EV#*']),
    g('state', ['Query'], ['KPI#*', 'FIGURES#day']),
    g('state', ['GetItem', 'PutItem'], ['INCIDENT', 'STREAM']),
    g('state', ['PutItem'], ['INCIDENT#*', 'RUN#detect-anomalies']),
  ],
  'check-backups': [
    g('state', ['BatchWriteItem'], ['CHECK#*', 'CHECKS#*']),
    g('state', ['GetItem', 'PutItem'], ['INCIDENT']),
    g('state', ['PutItem'], ['INCIDENT#*', 'RUN#check-backups']),
  ],
  'plan-reports': [g('state', ['PutItem'], ['RUN#plan-reports'])],
  watchdog: [
    g('events', ['GetItem'], ['STATS#ingest']),
    g('state', ['Query'], ['RUN#*', 'MAILFEEDBACK#*']),
    g('state', ['GetItem', 'PutItem'], ['WATCHDOG', 'INCIDENT']),
    g('state', ['PutItem'], ['INCIDENT#*']),
  ],
  'send-email': [
    g('state', ['GetItem', 'PutItem'], ['DELIVERY#*']),
    g(
      'state',
      ['Query'],
      ['KPI#*', 'SCORE#*', 'FIGURES#day', 'RUN#*', 'INCIDENT', 'INCIDENT#*', 'CHECKS#*', 'MAILFEEDBACK#*'],
    ),
    g('state', ['GetItem'], ['INCIDENT']),
  ],
  'email-feedback': [g('state', ['PutItem'], ['MAILFEEDBACK#*'])],
};

describe('each function may do exactly what its code does on the tables', () => {
  it('every function of the stack has a specification here', () => {
    const all = stack.node.findAll().filter((c) => c.constructor.name === 'NightshiftFunction') as NightshiftFunction[];
    expect(all.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: only its actions on its partitions`, () => {
      expect(tableGrants(fns[name]!)).toEqual(expected);
    });
  }

  it('plan-reports reads nothing in either table and writes only its own run records', () => {
    const grants = tableGrants(fns['plan-reports']!);
    expect(grants.flatMap((x) => x.actions)).toEqual(['PutItem']);
    expect(grants.flatMap((x) => x.keys)).toEqual(['RUN#plan-reports']);
  });

  it('send-email writes only its delivery ledger and reads only what a report or an alert shows', () => {
    const writes = tableGrants(fns['send-email']!).filter((x) =>
      x.actions.some((a) => /Put|Write|Update|Delete/.test(a)),
    );
    expect(writes.flatMap((x) => x.keys)).toEqual(['DELIVERY#*']);
    expect(JSON.stringify(roleStatements(template, logicalId(fns['send-email']!.role)))).not.toContain(tables.events);
  });

  it('each job writes run records under its own name only', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const runWrites = tableGrants(fn)
        .filter((x) => x.actions.includes('PutItem'))
        .flatMap((x) => x.keys)
        .filter((k) => k.startsWith('RUN#'));
      expect(
        runWrites.every((k) => k === `RUN#${name}`),
        name,
      ).toBe(true);
    }
  });

  it('no function may Scan, use an index or a stream, or touch items without a leading-key condition', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const statements: Statement[] = roleStatements(template, logicalId(fn.role)).filter((s) =>
        Object.values(tables).some((t) => JSON.stringify(s.Resource).includes(t)),
      );
      for (const s of statements) {
        expect(actionsOf(s), name).not.toContain('dynamodb:Scan');
        expect(JSON.stringify(s.Resource), name).not.toMatch(/index|stream/);
        expect(s.Condition, name).toMatchObject({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': expect.any(Array) },
        });
      }
    }
  });

  it('only the rollup may delete, and only the late-day marks it has recomputed', () => {
    for (const [name, fn] of Object.entries(fns)) {
      const deletes = tableGrants(fn).filter((x) => x.actions.includes('DeleteItem'));
      if (name === 'rollup-kpis') expect(deletes).toEqual([g('events', ['DeleteItem'], ['DIRTY'])]);
      else expect(deletes, name).toEqual([]);
    }
  });

  it('check-backups may scan only the tables a reconciliation names and the restore tests’ restored tables', () => {
    const statements = roleStatements(template, logicalId(fns['check-backups']!.role));
    const scanned = statements
      .filter((s) => actionsOf(s).includes('dynamodb:Scan'))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]))
      .map((r) => JSON.stringify(r).match(/table\/([\w*-]+)/)?.[1]);
    expect(scanned.sort()).toEqual(['awsbackup-restore-test-*', 'orders', 'payments']);
  });
});

describe('the alarm topic key', () => {
  it('CloudWatch may use it only for alarms of this account and Region', () => {
    const key = template.toJSON().Resources[logicalId(stack.monitoring.topicKey)];
    const forCloudWatch = key.Properties.KeyPolicy.Statement.filter(
      (s: { Principal?: { Service?: string } }) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(forCloudWatch).toEqual([
      {
        Sid: 'CloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });
});
