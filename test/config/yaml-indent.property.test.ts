// Property-based test of YAML indentation errors, an input boundary: in the example config, a key indented further than
// the `key: value` line before it is reported at its own line (not the line before, where the parser points), in words.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { ConfigError, parseConfigText } from '#shared/config/load.ts';

const lines = readFileSync('nightshift.config.yaml', 'utf8').split('\n');
const KEY_VALUE = /^( *)(?:- )?([A-Za-z_]+): [^\s{[|>&*#'"]/;
const KEY = /^( *)[A-Za-z_]+:/;

/** Lines that are a key right under a sibling `key: value` line, at that key's column: indented more, each is wrong. */
const candidates = lines.flatMap((line, i) => {
  const before = KEY_VALUE.exec(lines[i - 1] ?? '');
  const key = KEY.exec(line);
  // Inside a flow mapping written over several lines ({ a: 1,\n b: 2 }) indentation means nothing.
  if (!before || !key || lines[i - 1]!.trimEnd().endsWith(',')) return [];
  const column = (lines[i - 1] ?? '').indexOf(before[2]!);
  return key[1]!.length === column ? [i] : [];
});

describe('YAML indentation errors', () => {
  test('the example has such lines', () => {
    expect(candidates.length).toBeGreaterThan(10);
  });

  test.prop([fc.constantFrom(...candidates), fc.integer({ min: 1, max: 6 })], { numRuns: 60 })(
    'a key indented past its sibling is reported at its own line, with how far it is and should be indented',
    (index, extra) => {
      const edited = lines.map((l, i) => (i === index ? ' '.repeat(extra) + l : l)).join('\n');

      let problems: ConfigError['problems'] = [];
      try {
        parseConfigText(edited, 'test.yaml');
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems = error.problems;
      }

      const line = index + 1;
      const indent = lines[index]!.length - lines[index]!.trimStart().length;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ path: `line ${line}`, line, column: indent + extra + 1 });
      expect(problems[0]!.message).toMatch(new RegExp(`^indented by ${indent + extra} spaces?, more than `));
    },
  );
});
