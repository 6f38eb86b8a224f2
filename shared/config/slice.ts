// What a deployed function is given of the config: only the sections its job reads, and never people. Who is who
// (ids, roles, departments), who gets which report and who answers which response plan (the directory), and names
// with addresses (the contacts) are read at run time from parameters the stack writes, so a recipient change is a
// parameter update, and a function's code holds no address. The CLI keeps reading the whole config file.
// Parsed with zod/mini: this module is bundled into functions, the config schema (zod, yaml) is not.
import * as z from 'zod/mini';
import type { NightshiftConfig, Person, ResponsePlan } from './schema.ts';

/** Top-level sections a function may be given; `people` never is (it is read at run time). */
export type ConfigSection = Exclude<keyof NightshiftConfig, 'people'>;

/** Every top-level key of the config, `people` included: reading one a function was not given is an error. */
export const CONFIG_KEYS = [
  'name',
  'timeZone',
  'email',
  'departments',
  'people',
  'kpis',
  'ingest',
  'jobs',
  'alerts',
  'responsePlans',
  'checks',
  'reports',
  'holidays',
  'monitoring',
] as const satisfies readonly (keyof NightshiftConfig)[];

/** The roles of schema.ts (not imported as a value: it would bundle zod). */
const ROLES = ['specialist', 'analyst', 'administrator'] as const satisfies readonly Person['role'][];

/** A config slice as baked into a bundle: JSON, the given sections only, without people. */
export type ConfigSlice = Partial<Omit<NightshiftConfig, 'people'>>;

/** Whom the people directory lists: a person without their name or address. */
export type DirectoryPerson = Pick<Person, 'id' | 'role'> & { department?: string };

/** Ids, roles and departments, and who gets what: everything routing and planning need, and no address. */
export interface PeopleDirectory {
  people: DirectoryPerson[];
  /** Recipients (person ids) by report id. */
  reports: Record<string, string[]>;
  /** First responder and people kept informed (person ids) by response plan id. */
  responsePlans: Record<string, Pick<ResponsePlan, 'firstResponder' | 'alsoTell'>>;
}

/** Names and addresses by person id: only the sender needs them. */
export type PeopleContacts = Record<string, Pick<Person, 'name' | 'email'>>;

/** A function reads a config section its deployment does not include. */
export class ConfigSliceError extends Error {
  override name = 'ConfigSliceError';
}

/** The people parameters hold something the function cannot use; the message names the path. */
export class PeopleError extends Error {
  override name = 'PeopleError';
}

/**
 * The sections of `config` a function reads, without the people they mention: report recipients, response plans'
 * responders and the alarm address (the stack subscribes it; no function reads it) are left out.
 */
export function configSlice(config: NightshiftConfig, sections: readonly ConfigSection[]): ConfigSlice {
  const slice: Record<string, unknown> = {};
  for (const section of sections) {
    if ((section as string) === 'people') throw new ConfigSliceError('people are never baked into a function');
    slice[section] = withoutPeople(config, section);
  }
  return JSON.parse(JSON.stringify(slice)) as ConfigSlice;
}

function withoutPeople(config: NightshiftConfig, section: ConfigSection): unknown {
  switch (section) {
    case 'reports':
      return config.reports.map(({ recipients: _, ...report }) => report);
    case 'responsePlans':
      return config.responsePlans.map(({ firstResponder: _f, alsoTell: _a, ...plan }) => plan);
    case 'monitoring': {
      const { alarmEmail: _, ...monitoring } = config.monitoring;
      return monitoring;
    }
    default:
      return config[section];
  }
}

/** The directory the stack writes from the config. */
export function peopleDirectory(config: NightshiftConfig): PeopleDirectory {
  return {
    people: config.people.map((p) => ({
      id: p.id,
      role: p.role,
      ...(p.department ? { department: p.department } : {}),
    })),
    reports: Object.fromEntries(config.reports.map((r) => [r.id, r.recipients])),
    responsePlans: Object.fromEntries(
      config.responsePlans.map((p) => [p.id, { firstResponder: p.firstResponder, alsoTell: p.alsoTell }]),
    ),
  };
}

/** The contacts the stack writes from the config. */
export function peopleContacts(config: NightshiftConfig): PeopleContacts {
  return Object.fromEntries(config.people.map((p) => [p.id, { name: p.name, email: p.email }]));
}

const Id = z.string().check(z.regex(/^[a-z][a-z0-9_]*$/, 'expected an id: lower-case letters, digits and _'));
const Directory = z.strictObject({
  people: z.array(
    z.strictObject({
      id: Id,
      role: z.enum(ROLES),
      department: z.optional(Id),
    }),
  ),
  reports: z.record(z.string(), z.array(Id)),
  responsePlans: z.record(z.string(), z.strictObject({ firstResponder: Id, alsoTell: z.array(Id) })),
});
const Contacts = z.record(
  Id,
  z.strictObject({
    name: z.string().check(z.minLength(1)),
    email: z.string().check(z.regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'expected an email address')),
  }),
);

function parseJson<T>(schema: z.ZodMiniType<T>, text: string, source: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PeopleError(`${source}: not JSON`);
  }
  const parsed = z.safeParse(schema, value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new PeopleError(`${source}: ${problems.join('; ')}`);
}

/** The directory parameter's value, checked: each report recipient and responder is a listed person. */
export function parsePeopleDirectory(text: string, source: string): PeopleDirectory {
  const directory = parseJson(Directory, text, source) as PeopleDirectory;
  const ids = new Set<string>();
  const problems: string[] = [];
  directory.people.forEach((p, i) => {
    if (ids.has(p.id)) problems.push(`people.${i}.id: duplicate id '${p.id}'`);
    ids.add(p.id);
  });
  const known = (id: string, path: string) => {
    if (!ids.has(id)) problems.push(`${path}: unknown person '${id}'`);
  };
  for (const [report, recipients] of Object.entries(directory.reports)) {
    recipients.forEach((id, i) => {
      known(id, `reports.${report}.${i}`);
    });
  }
  for (const [plan, route] of Object.entries(directory.responsePlans)) {
    known(route.firstResponder, `responsePlans.${plan}.firstResponder`);
    route.alsoTell.forEach((id, i) => {
      known(id, `responsePlans.${plan}.alsoTell.${i}`);
    });
  }
  if (problems.length > 0) throw new PeopleError(`${source}: ${problems.join('; ')}`);
  return directory;
}

export function parsePeopleContacts(text: string, source: string): PeopleContacts {
  return parseJson(Contacts, text, source) as PeopleContacts;
}

export interface People {
  directory: PeopleDirectory;
  /** Only for a function that sends mail. */
  contacts?: PeopleContacts;
}

/**
 * The config a deployed function works with: its slice, with the people read at run time put back where the rest of
 * the code expects them (`people`, each report's `recipients`, each plan's responders). Reading a section the slice
 * does not have throws a ConfigSliceError naming it, rather than letting `undefined` through.
 */
export function deployedConfig(slice: ConfigSlice, people?: People): NightshiftConfig {
  const config: Record<string, unknown> = { ...slice };
  if (people) {
    const { directory, contacts } = people;
    const problems: string[] = [];
    config.people = directory.people.map((p): DirectoryPerson | Person => {
      if (!contacts) return p;
      const contact = contacts[p.id];
      if (!contact) {
        problems.push(`contacts: no name and address for '${p.id}'`);
        return p;
      }
      return { ...p, ...contact };
    });
    if (slice.reports) {
      config.reports = slice.reports.map((r) => {
        const recipients = directory.reports[r.id];
        if (!recipients) problems.push(`directory: reports.${r.id}: no recipients listed`);
        return { ...r, recipients: recipients ?? [] };
      });
    }
    if (slice.responsePlans) {
      config.responsePlans = slice.responsePlans.map((p) => {
        const route = directory.responsePlans[p.id];
        if (!route) problems.push(`directory: responsePlans.${p.id}: no first responder listed`);
        return { ...p, ...(route ?? { firstResponder: '', alsoTell: [] }) };
      });
    }
    if (problems.length > 0) throw new PeopleError(`people parameters: ${problems.join('; ')}`);
  }
  return strict(config) as NightshiftConfig;
}

const KEYS = new Set<string | symbol>(CONFIG_KEYS);

function strict(config: Record<string, unknown>): Record<string, unknown> {
  return new Proxy(config, {
    get(target, key, receiver) {
      if (KEYS.has(key) && !(key in target)) {
        const why =
          key === 'people'
            ? 'people are read at run time only by the functions the stack grants them to'
            : 'add it to the function’s sections in infra/function-config.ts';
        throw new ConfigSliceError(`config.${String(key)} is not part of this function’s deployment: ${why}`);
      }
      return Reflect.get(target, key, receiver);
    },
  });
}
