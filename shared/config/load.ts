// Reads and validates the config file; every problem is reported with its path, never just the first.
import { parseDocument, type YAMLError } from 'yaml';
import type { z } from 'zod';
import { readInputFile } from './input-file.ts';
import { NightshiftConfig } from './schema.ts';
import { commentCuts, configWarnings } from './warnings.ts';

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
    const lines = text.split(/\r?\n/);
    const problems = new Map<string, ConfigProblem>();
    for (const e of doc.errors) {
      const indent = indentProblem(e, lines);
      if (indent !== undefined) {
        // One mis-indented line often trips two or three of the parser's checks: it is said once.
        problems.set(`indent ${indent.line}`, indent);
        continue;
      }
      const at = e.linePos?.[0];
      const where = at ? { line: at.line, column: at.col } : {};
      problems.set(`${problems.size}`, { path: `line ${at?.line ?? '?'}`, message: yamlMessage(e.message), ...where });
    }
    throw new ConfigError(source, [...problems.values()]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // The yaml package refuses aliases that expand without bound (a "billion laughs" file) while building values.
    throw new ConfigError(source, [{ path: '', message: `cannot read the YAML: ${(error as Error).message}` }]);
  }
  const config = validateConfig(raw, source, options);
  for (const w of options.onWarning ? commentCuts(doc, text) : []) {
    options.onWarning?.({ path: formatPath(w.path), message: w.message, ...(w.line ? { line: w.line } : {}) });
  }
  return config;
}

/** The parser's errors that are about indentation, whatever words it uses for them. */
const INDENT_CODES = new Set(['BAD_INDENT', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY', 'TAB_AS_INDENT']);

const isContent = (line: string | undefined): line is string =>
  line !== undefined && line.trim() !== '' && !line.trimStart().startsWith('#');
const spaces = (n: number) => (n === 0 ? 'no indent' : `${n} space${n === 1 ? '' : 's'}`);

/** Where a line's key starts (after any `- `), and the key; a line that is no `key:` has its content's column. */
function keyOf(line: string): { column: number; key?: string } {
  const dashes = /^[ ]*(?:-[ ]+)*/.exec(line)![0].length;
  const key = /^([^\s#:'"{[][^:#]*?|"[^"]*"|'[^']*'):(\s|$)/.exec(line.slice(dashes))?.[1];
  return key === undefined ? { column: dashes } : { column: dashes, key };
}

/**
 * An indentation mistake said in plain words, at the line that has it. The parser reports a line indented too far
 * under a `key: value` as a problem of the line before ("Nested mappings are not allowed in compact mappings", "Implicit
 * keys need to be on a single line"), and one indented to no column above as a missing `-`; this names the line that
 * is off, how far it is indented, and where the keys above it start.
 */
function indentProblem(e: YAMLError, lines: readonly string[]): ConfigProblem | undefined {
  const sequenceItem = e.code === 'MISSING_CHAR' && e.message.startsWith('Sequence item without');
  const at = e.linePos?.[0];
  if (at === undefined || !(INDENT_CODES.has(e.code) || sequenceItem)) return undefined;
  let n = at.line;
  // The parser points at the value the next line was read into; the next line is the one indented too far.
  if (e.code === 'BLOCK_AS_IMPLICIT_KEY' || e.code === 'MULTILINE_IMPLICIT_KEY') n++;
  // It may also point at a blank line or a comment before the one.
  while (n <= lines.length && !isContent(lines[n - 1])) n++;
  const line = lines[n - 1];
  if (!isContent(line)) return undefined;
  const indent = line.length - line.trimStart().length;
  const shown = `    ${line.trim()}`;
  const problem = (message: string): ConfigProblem => ({
    path: `line ${n}`,
    message: `${message}\n${shown}`,
    line: n,
    column: indent + 1,
  });
  if (/^[ ]*\t/.test(line) || e.code === 'TAB_AS_INDENT') {
    return problem('indented with a tab; YAML indents with spaces only');
  }
  // A list item lines up with the items (dashes) above it, a key with the keys: the nearest, then each enclosing one.
  const item = line.trimStart().startsWith('-');
  const above: Array<{ line: number; column: number; name: string }> = [];
  for (let i = n - 1; i >= 1; i--) {
    const before = lines[i - 1];
    if (!isContent(before)) continue;
    const start = before.length - before.trimStart().length;
    const k = keyOf(before);
    const dash = before.trimStart().startsWith('-');
    const column = item && dash ? start : k.column;
    const name =
      item && dash ? `the list item on line ${i}` : k.key === undefined ? `line ${i}` : `${k.key} on line ${i}`;
    if (above.length === 0 || column < above.at(-1)!.column) above.push({ line: i, column, name });
    if (start === 0) break;
  }
  const nearest = above[0];
  const what = indent === 0 ? 'not indented' : `indented by ${spaces(indent)}`;
  if (nearest === undefined) return problem(`${what}, but it is the first line`);
  if (indent > nearest.column && !item) {
    return problem(
      `${what}, more than ${nearest.name} (${spaces(nearest.column)}), which has its value already, so YAML reads this line as part of that value; to make it a key beside that one, give it ${spaces(nearest.column)} too`,
    );
  }
  const candidates = above.map((k) => `${k.name} has ${spaces(k.column)}`).join(', ');
  return problem(
    `${what}, which lines up with no ${item ? 'list item' : 'key'} above it (${candidates}); indent it like the one it belongs beside`,
  );
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
