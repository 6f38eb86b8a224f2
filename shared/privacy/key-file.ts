// The local pseudonym key: `<data dir>/pseudonym.key`, created on first use with mode 0600 and read back after.
// Created whole or not at all (written to a private temporary file, then linked into place), so two commands
// starting at once agree on one key and neither ever reads a half-written file.
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newKeyText, PseudonymKey, PseudonymKeyError } from './pseudonym.ts';

export const KEY_FILE_NAME = 'pseudonym.key';

export function keyFilePath(dataDir: string): string {
  return join(dataDir, KEY_FILE_NAME);
}

/** The key in `<dataDir>/pseudonym.key`, creating the folder and the file (mode 0600) when there is none yet. */
export function loadOrCreateKeyFile(dataDir: string): PseudonymKey {
  const path = keyFilePath(dataDir);
  if (!exists(path)) create(dataDir, path);
  return readKeyFile(path);
}

/** Reads a key file; refuses one that other users may read (it would let them reverse every pseudonym). */
export function readKeyFile(path: string): PseudonymKey {
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new PseudonymKeyError(
      `${path} may be read by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${path}`,
    );
  }
  return PseudonymKey.fromText(readFileSync(path, 'utf8'), path);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function create(dataDir: string, path: string): void {
  mkdirSync(dataDir, { recursive: true });
  const temporary = `${path}.${process.pid}.${newKeyText().slice(0, 8)}.tmp`;
  writeFileSync(temporary, `${newKeyText()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    // Another command created it first: its key is the one.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}
