// Reads and validates the config file; every problem is reported with its path, never just the first.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { FormulaError, parseFormula } from '#shared/kpi/formula.ts';
import { NightshiftConfig } from './schema.ts';

export const DEFAULT_CONFIG_FILE = 'nightshift.config.yaml';

export interface ConfigProblem {
  /** e.g. 'kpis[3].target.min' */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: ConfigProblem[];
  readonly source: string;
  constructor(source: string, problems: ConfigProblem[]) {
    super(`${source} is not a valid Nightshift config:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
    this.source = source;
    this.problems = problems;
  }
}

export function formatProblem(p: ConfigProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** 'kpis[3].target.min' from zod's ['kpis', 3, 'target', 'min']. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

export function validateConfig(raw: unknown, source = 'config'): NightshiftConfig {
  const parsed = NightshiftConfig.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error));
  const problems = formulaProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parsed.data;
}

/** KPI formulas are parsed here so a typo fails `validate` and `cdk synth`, not the first nightly rollup. */
function formulaProblems(config: NightshiftConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.kpis.forEach((kpi, i) => {
    try {
      parseFormula(kpi.formula);
    } catch (error) {
      if (!(error instanceof FormulaError)) throw error;
      problems.push({
        path: `kpis[${i}].formula`,
        message: `${error.message}\n      ${kpi.formula}\n      ${' '.repeat(error.position)}^`,
      });
    }
  });
  return problems;
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}`;
  }
  if (issue.code === 'invalid_value' && issue.message.startsWith('Invalid')) {
    return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined && !issue.message.startsWith('missing')) {
    return `missing (${issue.message})`;
  }
  return issue.message;
}

/** Parses YAML text; syntax errors carry line and column. */
export function parseConfigText(text: string, source = 'config'): NightshiftConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? '' })),
    );
  }
  return validateConfig(doc.toJS(), source);
}

export function loadConfig(file = DEFAULT_CONFIG_FILE): NightshiftConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(error as Error).message})` }]);
  }
  return parseConfigText(text, file);
}
