// People out of the bundles: each function is baked only the config sections its code reads, none of them naming a
// person; who gets what and the addresses are two SSM parameters the stack writes, readable by the functions that plan,
// route or send mail; a recipient change deploys as a parameter update.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_CONFIG, functionSlice } from '#infra/function-config.ts';
import type { NightshiftFunction } from '#infra/nightshift-function.ts';
import { PEOPLE_CONTACTS_ENV, PEOPLE_DIRECTORY_ENV, PEOPLE_VERSION_ENV } from '#infra/people-parameters.ts';
import { ConfigError } from '#shared/config/load.ts';
import { deployedConfig, peopleContacts, peopleDirectory } from '#shared/config/slice.ts';
import { exampleConfig } from '../support/config.ts';
import { actionsOf, buildBundles, logicalId, roleStatements, synthesize } from './support.ts';

const { config, stack, template } = synthesize();
interface Resource {
  Type: string;
  Properties: {
    Value?: string;
    Endpoint?: string;
    Protocol?: string;
    Environment: { Variables: Record<string, unknown> };
    [property: string]: unknown;
  };
}
const resources = template.toJSON().Resources as Record<string, Resource>;
const directory = logicalId(stack.people.directory);
const contacts = logicalId(stack.people.contacts);
const fns = Object.fromEntries(
  (stack.node.findAll().filter((c) => c.constructor.name === 'NightshiftFunction') as NightshiftFunction[]).map((f) => [
    f.name,
    f,
  ]),
) as Record<string, NightshiftFunction>;
const addresses = config.people.map((p) => p.email);
const names = config.people.map((p) => p.name);
const scratch = mkdtempSync(join(tmpdir(), 'nightshift-people-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('what each function is given of the config', () => {
  const EXPECTED: Record<string, string[]> = {
    'ingest-events': ['name', 'timeZone', 'ingest', 'jobs', 'kpis'],
    'http-ingest': ['name', 'timeZone', 'ingest', 'jobs', 'kpis'],
    'rollup-kpis': ['name', 'timeZone', 'ingest', 'jobs', 'kpis', 'holidays'],
    'detect-anomalies': ['name', 'timeZone', 'ingest', 'jobs', 'kpis', 'alerts', 'holidays', 'responsePlans'],
    'check-backups': ['name', 'timeZone', 'checks', 'responsePlans'],
    'plan-reports': ['name', 'timeZone', 'reports'],
    watchdog: ['name', 'timeZone', 'jobs', 'reports', 'alerts', 'checks', 'monitoring', 'responsePlans'],
    'send-email': [
      'name',
      'timeZone',
      'email',
      'kpis',
      'alerts',
      'checks',
      'reports',
      'jobs',
      'responsePlans',
      'holidays',
    ],
    'email-feedback': ['name', 'timeZone'],
  };

  it('every function of the stack has its sections listed, and only the sections its code reads', () => {
    expect(Object.keys(fns).sort()).toEqual(Object.keys(FUNCTION_CONFIG).sort());
    for (const [name, sections] of Object.entries(EXPECTED)) {
      expect(Object.keys(functionSlice(name, config)), name).toEqual(sections);
    }
  });

  it('ingest is given its time zone, ingest settings, recompute window and the KPIs (what they add up), no people', () => {
    const slice = functionSlice('ingest-events', config);
    expect(slice).toEqual({
      name: config.name,
      timeZone: config.timeZone,
      ingest: config.ingest,
      jobs: config.jobs,
      kpis: config.kpis,
    });
  });

  it('detection is given the holidays its deviation rules leave out, and the deployed config reads them', () => {
    const withHolidays = { ...exampleConfig(), holidays: ['2026-10-01', '2026-12-25'] };

    const slice = functionSlice('detect-anomalies', withHolidays);

    expect(slice.holidays).toEqual(['2026-10-01', '2026-12-25']);
    expect(deployedConfig(slice).holidays).toEqual(['2026-10-01', '2026-12-25']);
  });

  it('the rollup (closed days) and the sender (a daily report names a holiday) are given the holidays too', () => {
    const withHolidays = { ...exampleConfig(), holidays: ['2026-10-01'] };

    for (const name of ['rollup-kpis', 'send-email']) {
      expect(deployedConfig(functionSlice(name, withHolidays)).holidays, name).toEqual(['2026-10-01']);
    }
  });

  it('no slice names a person: no people, report recipients, responders or alarm address', () => {
    for (const name of Object.keys(FUNCTION_CONFIG)) {
      const text = JSON.stringify(functionSlice(name, config));
      expect(text, name).not.toMatch(/"(people|recipients|firstResponder|alsoTell|alarmEmail)"/);
      for (const s of [...addresses, ...names]) expect(text, name).not.toContain(s);
    }
  });

  it('reports and response plans keep everything else: schedules, sections, titles, steps', () => {
    const slice = functionSlice('send-email', config);
    expect(slice.reports).toEqual(config.reports.map(({ recipients: _, ...r }) => r));
    expect(slice.responsePlans).toEqual(config.responsePlans.map(({ firstResponder: _f, alsoTell: _a, ...p }) => p));
  });
});

describe('no person in any bundle or in the template, but in the people parameters', () => {
  it('no function’s bundle holds a person’s name or address', async () => {
    const bundles = await buildBundles(Object.keys(FUNCTION_CONFIG), config, scratch);
    for (const [name, text] of Object.entries(bundles)) {
      for (const s of [...addresses, ...names]) expect(text.includes(s), `${s} in ${name}`).toBe(false);
    }
  }, 120_000);

  it('the template holds addresses only in the contacts parameter, and the alarm mail address only in its subscription', () => {
    const json = structuredClone(template.toJSON());
    delete json.Resources[contacts].Properties.Value;
    const subscriptions = Object.values(json.Resources as typeof resources).filter(
      (r) => r.Type === 'AWS::SNS::Subscription' && r.Properties.Protocol === 'email',
    );
    // monitoring.alarmEmail is where CloudWatch alarms go: SNS needs it as the subscription's endpoint.
    expect(subscriptions.map((r) => r.Properties.Endpoint)).toEqual([config.monitoring.alarmEmail]);
    for (const r of subscriptions) delete r.Properties.Endpoint;

    const text = JSON.stringify(json);
    for (const s of [...addresses, ...names]) expect(text.includes(s), s).toBe(false);
  });

  it('the directory holds ids, roles, departments, recipients and responders: no name, no address', () => {
    const value = resources[directory]!.Properties.Value as string;
    expect(JSON.parse(value)).toEqual(peopleDirectory(config));
    for (const s of [...addresses, ...names]) expect(value.includes(s), s).toBe(false);
    expect(JSON.parse(resources[contacts]!.Properties.Value ?? '')).toEqual(peopleContacts(config));
  });

  it('both are String parameters under the stack’s name, in the standard tier while they fit', () => {
    expect(resources[directory]!.Properties).toMatchObject({
      Type: 'String',
      Name: `/${config.name}/people/directory`,
      Tier: 'Standard',
    });
    expect(resources[contacts]!.Properties).toMatchObject({
      Type: 'String',
      Name: `/${config.name}/people/contacts`,
      Tier: 'Standard',
    });
  });
});

describe('who may read the people', () => {
  const READS: Record<string, 'directory' | 'contacts' | undefined> = {
    'plan-reports': 'directory',
    'detect-anomalies': 'directory',
    'check-backups': 'directory',
    watchdog: 'directory',
    'send-email': 'contacts',
  };

  for (const name of Object.keys(FUNCTION_CONFIG)) {
    const access = READS[name];
    it(`${name} ${access === 'contacts' ? 'reads the directory and the contacts' : access ? 'reads the directory only' : 'reads no people'}`, () => {
      const fn = fns[name]!;
      const statements = roleStatements(template, logicalId(fn.role));
      const ssm = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('ssm:')));
      const env = resources[logicalId(fn.fn)]!.Properties.Environment.Variables;
      if (!access) {
        expect(ssm).toEqual([]);
        expect(env[PEOPLE_DIRECTORY_ENV]).toBeUndefined();
        expect(env[PEOPLE_CONTACTS_ENV]).toBeUndefined();
        expect(env[PEOPLE_VERSION_ENV]).toBeUndefined();
        return;
      }
      const arn = (id: string) => ({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ssm:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':parameter',
            { Ref: id },
          ],
        ],
      });
      expect(ssm).toEqual([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameters',
          Resource: access === 'contacts' ? [arn(directory), arn(contacts)] : arn(directory),
        },
      ]);
      expect(env[PEOPLE_DIRECTORY_ENV]).toEqual({ Ref: directory });
      expect(env[PEOPLE_CONTACTS_ENV]).toEqual(access === 'contacts' ? { Ref: contacts } : undefined);
      expect(env[PEOPLE_VERSION_ENV]).toMatch(/^[0-9a-f]{16}$/);
    });
  }
});

describe('a recipient change', () => {
  it('changes the parameters and the readers’ fingerprint, and no function’s code or any other setting', () => {
    const changed = exampleConfig();
    changed.reports[0]!.recipients = changed.reports[0]!.recipients.filter((id) => id !== 'market_ops');
    changed.people.find((p) => p.id === 'ops_director')!.email = 'sun.mei@example.net';
    const after = synthesize({ config: changed }).template.toJSON().Resources as typeof resources;

    const differing = Object.keys(resources).filter(
      (id) => JSON.stringify(resources[id]) !== JSON.stringify(after[id]),
    );
    const readers = ['plan-reports', 'detect-anomalies', 'check-backups', 'watchdog', 'send-email'];
    expect(differing.sort()).toEqual([directory, contacts, ...readers.map((n) => logicalId(fns[n]!.fn))].sort());
    for (const name of readers) {
      const id = logicalId(fns[name]!.fn);
      const { [PEOPLE_VERSION_ENV]: was, ...rest } = resources[id]!.Properties.Environment.Variables;
      const { [PEOPLE_VERSION_ENV]: is, ...restAfter } = after[id]!.Properties.Environment.Variables;
      expect(is, name).not.toBe(was);
      expect(restAfter, name).toEqual(rest);
      expect({ ...after[id]!.Properties, Environment: undefined }).toEqual({
        ...resources[id]!.Properties,
        Environment: undefined,
      });
    }
    // What the bundles bake is unchanged, so no code is rebuilt or uploaded.
    for (const name of Object.keys(FUNCTION_CONFIG)) {
      expect(functionSlice(name, changed), name).toEqual(functionSlice(name, config));
    }
  });

  it('a people list over SSM’s 8 KB limit for a parameter stops the synth, naming people', () => {
    const crowded = exampleConfig();
    for (let i = 0; i < 150; i++) {
      crowded.people.push({
        id: `person_${i}`,
        name: `Person Number ${i}`,
        email: `person.${i}@example.com`,
        role: 'analyst',
      });
    }
    expect(() => synthesize({ config: crowded })).toThrow(ConfigError);
    expect(() => synthesize({ config: crowded })).toThrow(
      /people: names and addresses: \d+ characters as JSON, over the 8192/,
    );
  });
});
