// Property-based test of `validate`'s promise, at the config boundary: a config with N independent mistakes reports
// all N in one run, each at its path: the schema's own problems (unknown fields, wrong types, bad values) and the
// reference checks across sections (unknown KPIs, people, plans, departments) alike, and nothing else.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, formatProblem, parseConfigText } from '#shared/config/load.ts';

// biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited in place by the mistakes below.
type Doc = any;
const example = parse(readFileSync('nightshift.config.yaml', 'utf8')) as Doc;

/** What a mistake should be reported as: its path and what the message says. */
interface Expected {
  path: string;
  message: RegExp;
}

/** A kind of mistake: where it can go (an index among `targets`), and what it does to the document there. */
interface Kind {
  targets: number;
  inject(doc: Doc, at: number): Expected;
}

const kpisWithTarget = (example.kpis as Doc[]).flatMap((k, i) => (k.target ? [i] : []));
/** Rules with a deviation condition, and its place among the rule's conditions. */
const deviations = (example.alerts.rules as Doc[]).flatMap((r, i) => {
  const j = (r.all as Doc[]).findIndex((c) => 'deviation' in c);
  return j < 0 ? [] : [[i, j] as const];
});
const rules = example.alerts.rules.length as number;
const reports = example.reports.length as number;

const KINDS: Record<string, Kind> = {
  // The schema's problems.
  misspelledField: {
    targets: deviations.length,
    inject: (doc, at) => {
      const [i, j] = deviations[at]!;
      doc.alerts.rules[i].all[j].deviation.sensitivty = 0.5;
      return { path: `alerts.rules[${i}].all[${j}].deviation.sensitivty`, message: /^unknown field$/ };
    },
  },
  wrongType: {
    targets: kpisWithTarget.length,
    inject: (doc, at) => {
      const k = kpisWithTarget[at]!;
      doc.kpis[k].target.min = 'lots';
      return { path: `kpis[${k}].target.min`, message: /^expected a number/ };
    },
  },
  unknownTopLevelField: {
    targets: 1,
    inject: (doc) => {
      doc.colour = 'blue';
      return { path: 'colour', message: /^unknown field$/ };
    },
  },
  badTimeZone: {
    targets: 1,
    inject: (doc) => {
      doc.timeZone = 'Asia/Atlantis';
      return { path: 'timeZone', message: /time zone/ };
    },
  },
  badRole: {
    targets: example.people.length,
    inject: (doc, at) => {
      doc.people[at].role = 'boss';
      return { path: `people[${at}].role`, message: /^expected a role/ };
    },
  },
  badReportTime: {
    targets: reports,
    inject: (doc, at) => {
      doc.reports[at].schedule.at = '5am';
      return { path: `reports[${at}].schedule.at`, message: /^expected a time as "HH:MM"/ };
    },
  },
  // The reference checks across sections.
  unknownRuleKpi: {
    targets: rules,
    inject: (doc, at) => {
      doc.alerts.rules[at].kpi = 'new_userz';
      return { path: `alerts.rules[${at}].kpi`, message: /^unknown KPI 'new_userz' \(known: / };
    },
  },
  unknownRulePlan: {
    targets: rules,
    inject: (doc, at) => {
      doc.alerts.rules[at].plan = 'outrage';
      return { path: `alerts.rules[${at}].plan`, message: /^unknown response plan 'outrage'/ };
    },
  },
  unknownResponder: {
    targets: example.responsePlans.length,
    inject: (doc, at) => {
      doc.responsePlans[at].firstResponder = 'nobody';
      return { path: `responsePlans[${at}].firstResponder`, message: /^unknown person 'nobody'/ };
    },
  },
  unknownRecipient: {
    targets: reports,
    inject: (doc, at) => {
      const recipients = doc.reports[at].recipients as string[];
      recipients.push('no_one');
      return { path: `reports[${at}].recipients[${recipients.length - 1}]`, message: /^unknown person 'no_one'/ };
    },
  },
  unknownDepartment: {
    targets: example.kpis.length,
    inject: (doc, at) => {
      doc.kpis[at].department = 'finance';
      return { path: `kpis[${at}].department`, message: /^unknown department 'finance'/ };
    },
  },
};

/** Some kinds, each once, each at a place of its own choosing. */
const mistakes = fc
  .subarray(Object.keys(KINDS), { minLength: 1 })
  .chain((kinds) =>
    fc.tuple(...kinds.map((k) => fc.nat({ max: KINDS[k]!.targets - 1 }).map((at) => [k, at] as const))),
  );

function problemsOf(text: string): { path: string; message: string }[] {
  try {
    parseConfigText(text, 'mistakes.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
}

describe('a config with several mistakes', () => {
  test.prop([mistakes, fc.constantFrom('yaml', 'json')])(
    'N independent mistakes, schema and reference ones mixed: all N are reported, each at its path, and no others',
    (chosen, format) => {
      const doc = structuredClone(example);
      const expected = chosen.map(([kind, at]) => KINDS[kind]!.inject(doc, at));
      const text = format === 'yaml' ? stringify(doc) : JSON.stringify(doc);

      const problems = problemsOf(text);

      for (const e of expected) {
        const found = problems.filter((p) => p.path === e.path && e.message.test(p.message));
        expect(found, `${e.path} among ${problems.map(formatProblem).join(' | ')}`).toHaveLength(1);
      }
      expect(problems).toHaveLength(expected.length);
    },
  );
});
