// Reads and validates the config file; every problem is reported with its path, never just the first.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { readInputFile } from './input-file.ts';
import { NightshiftConfig } from './schema.ts';
import { configWarnings } from './warnings.ts';

export const DEFAULT_CONFIG_FILE = 'nightshift.config.yaml';

export interface ConfigProblem {
  /** e.g. 'kpis[3].target.min' */
  path: string;
  message: string;
  /** Where in the file, for a YAML syntax error (1-based). */
  line?: number;
  column?: number;
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

/** A warning as a line, compiler-style: 'nightshift.config.yaml: warning: alerts.rules[0].all[0].change.pct: ...'. */
export function formatWarning(source: string, w: ConfigProblem): string {
  return `${source}: warning: ${formatProblem(w)}`;
}

/** 'kpis[3].target.min' from zod's ['kpis', 3, 'target', 'min']; a key that is not a plain name is quoted: a["b c"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `${out}[${JSON.stringify(name)}]`;
    return out ? `${out}.${name}` : name;
  }, '');
}

export interface LoadOptions {
  /**
   * Told each value that is legal but almost certainly a slip (`pct: 0.2` for 20%); the config loads all the same.
   * Default: not told.
   */
  onWarning?: (warning: ConfigProblem) => void;
}

/** Validates a parsed config; KPI formulas are parsed too, so a typo fails `validate` and `cdk synth`, not a rollup. */
export function validateConfig(raw: unknown, source = 'config', options: LoadOptions = {}): NightshiftConfig {
  const parsed = NightshiftConfig.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error));
  if (options.onWarning) {
    for (const w of configWarnings(raw, parsed.data))
      options.onWarning({ path: formatPath(w.path), message: w.message });
  }
  return parsed.data;
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue) =>
    // One problem per unknown field, at its own path, so even one at the top level is named by a path.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }))
      : [{ path: formatPath(issue.path), message: issueMessage(issue) }],
  );
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return `the file must be a YAML mapping of config fields (timeZone: ..., kpis: ...), not ${describeInput(issue.input)}`;
  }
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

function describeInput(input: unknown): string {
  if (input === null || input === undefined) return 'an empty document';
  if (Array.isArray(input)) return 'a list';
  return `a ${typeof input}`;
}

/** Parses YAML text; syntax errors carry line and column. */
export function parseConfigText(text: string, source = 'config', options: LoadOptions = {}): NightshiftConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? { line: at.line, column: at.col } : {};
        return { path: `line ${at?.line ?? '?'}`, message: yamlMessage(e.message), ...where };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // The yaml package refuses aliases that expand without bound (a "billion laughs" file) while building values.
    throw new ConfigError(source, [{ path: '', message: `cannot read the YAML: ${(error as Error).message}` }]);
  }
  return validateConfig(raw, source, options);
}

/**
 * A YAML error with the parser's excerpt of the lines around it, caret included, indented under it; the parser's own
 * stack overflow on absurd nesting is said as what it is.
 */
function yamlMessage(message: string): string {
  const [first = '', ...rest] = message.split('\n');
  if (first.startsWith('Maximum call stack size exceeded'))
    return `nested too deeply for a config file${first.slice('Maximum call stack size exceeded'.length)}`;
  const excerpt = rest.filter((line) => line.trim() !== '').map((line) => `    ${line}`);
  return excerpt.length > 0 ? [first.replace(/:$/, ''), ...excerpt].join('\n') : first;
}

/** Reads and validates a config file: an InputFileError if it cannot be read, a ConfigError if it is not valid. */
export function loadConfig(file = DEFAULT_CONFIG_FILE, options: LoadOptions = {}): NightshiftConfig {
  return parseConfigText(readInputFile(file), file, options);
}
