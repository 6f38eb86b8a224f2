// What `--json` prints: one line of JSON per command, its numbers as a reader means them. A sum of decimal amounts
// carries binary float noise (2227.26 stored as 2227.2599999999998); every command prints through here, so none does.
// A command that fails prints one too (`errorJson`), so a script reading stdout never gets nothing.
import { CommanderError } from 'commander';
import { ConfigError, type ConfigProblem } from '#shared/config/load.ts';

/**
 * Significant digits a fractional number keeps. Binary noise sits at the 16th and 17th; 12 keep the cents of any
 * amount under ten billion and every digit a ratio or a rate means.
 */
const SIGNIFICANT_DIGITS = 12;

/** `n` without binary float noise: 2227.2599999999998 is 2227.26; integers (counts, epoch ms) stay as they are. */
export function plainNumber(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return n;
  return Number(n.toPrecision(SIGNIFICANT_DIGITS));
}

/** JSON.stringify, every number through plainNumber. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? plainNumber(v) : v));
}

/** Prints `value` as one line of JSON on stdout (a command's `--json` result). */
export function printJson(value: unknown): void {
  console.log(jsonLine(value));
}

/** What a failed command prints with `--json`; a config error names its file and lists every problem. */
export interface JsonError {
  ok: false;
  /** The error's name: 'ConfigError', 'InputFileError', 'UsageError' (the arguments), 'Error', ... */
  error: string;
  message: string;
  file?: string;
  problems?: ConfigProblem[];
}

export function errorJson(error: unknown): JsonError {
  if (error instanceof CommanderError) return { ok: false, error: 'UsageError', message: usageMessage(error) };
  if (error instanceof ConfigError) {
    return {
      ok: false,
      error: error.name,
      message: `${error.source} is not a valid Nightshift config`,
      file: error.source,
      problems: error.problems,
    };
  }
  if (error instanceof Error) return { ok: false, error: error.name, message: error.message };
  return { ok: false, error: 'Error', message: String(error) };
}

/**
 * Commander's message without its `error: ` prefix; its help-on-error (no verb given) carries no message at all, so
 * that one is said in words.
 */
function usageMessage(error: CommanderError): string {
  if (error.code === 'commander.help') return 'no command given; nightshift --help lists them';
  return error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
}
