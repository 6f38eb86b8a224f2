// Files the user names on the command line (a config, events to ingest, a markdown file to rewrite): one that cannot
// be read is said as such, naming the file as it was given, instead of Node's bare "ENOENT: no such file or directory".
import { accessSync, constants, readFileSync, statSync } from 'node:fs';

/** A file the user named cannot be read: `cannot read nope.jsonl: no such file`. */
export class InputFileError extends Error {
  override name = 'InputFileError';
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`cannot read ${file === '' ? "''" : file}: ${reason}`);
    this.file = file;
    this.reason = reason;
  }
}

/** Why a file could not be read, in words; the system's own message for a code without them. */
function reasonOf(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'no such file (a folder on its path is a file)';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    default:
      return (error as Error).message;
  }
}

/** The InputFileError for an error met reading `file`; any other error is returned as it is. */
export function inputFileError(file: string, error: unknown): Error {
  if (error instanceof InputFileError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? new InputFileError(file, reasonOf(error)) : (error as Error);
}

/** The text of a file the user named; an InputFileError if it cannot be read. */
export function readInputFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw inputFileError(file, error);
  }
}

/**
 * Throws an InputFileError unless `file` exists, is not a folder and may be read: checked before a command starts its
 * work, so a typo in the second of two files stores nothing. Never opens the file (opening a named pipe would wait
 * for its writer).
 */
export function assertReadable(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw new InputFileError(file, reasonOf({ code: 'EISDIR' }));
    accessSync(file, constants.R_OK);
  } catch (error) {
    throw inputFileError(file, error);
  }
}
