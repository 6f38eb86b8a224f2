import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { architectureDiagram, withDiagram } from '../../bin/architecture.ts';

describe("the README's architecture diagram", () => {
  it('is the one the imports draw today (npm run docs regenerates it)', async () => {
    const readme = readFileSync('README.md', 'utf8');

    const current = withDiagram(readme, await architectureDiagram());

    expect(readme).toBe(current);
  });

  it('draws every layer of .dependency-cruiser.cjs and only imports that go down', async () => {
    const diagram = await architectureDiagram();
    const layers = [...diagram.matchAll(/subgraph layer_\w+\["([^"]+)"\]\n\s+(.+)/g)].map((m) => ({
      name: m[1],
      modules: m[2]!.split(' & '),
    }));
    const rank = new Map(layers.reverse().flatMap((l, i) => l.modules.map((m) => [m, i] as const)));

    expect(layers.map((l) => l.name)).toEqual([
      'utilities',
      'config',
      'ports and adapters',
      'domain',
      'rendering',
      'delivery',
      'applications',
    ]);
    for (const [, from, to] of diagram.matchAll(/^ {2}(\w+) --> (\w+)$/gm)) {
      expect(rank.get(from!), `${from} --> ${to}`).toBeGreaterThanOrEqual(rank.get(to!)!);
    }
  });
});
