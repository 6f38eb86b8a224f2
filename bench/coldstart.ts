// Cold start of every Lambda handler: each functions/*/handler.ts is bundled exactly as deployed (the esbuild options
// of infra/nightshift-function.ts), then imported in fresh Node processes next to an empty handler bundled the same
// way. Prints the minified bundle size and the median import time, with PASS/FAIL against the budget. A handler that
// only imports the DynamoDB SDK clients is measured as well, as a reference: it shows how much of a function's load
// is the SDK the Lambda runtime provides.
//
//   node bench/coldstart.ts [--runs N] [--config FILE] [--bundle-sdk] [--strict] [--json]
//
// --bundle-sdk also bundles @aws-sdk/* (what deploying without the runtime's SDK would cost); --strict exits 1 on FAIL.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { esbuildOptions, handlerEntry, REPO_ROOT } from '#infra/nightshift-function.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#shared/config/load.ts';

// 450 KB: Powertools' Tracer brings the X-Ray SDK (about 100 KB with its dependencies); import time is the budget that
// matters, and the bundle's own share of it is measured against the SDK's.
const BUDGET = { bundleKB: 450, loadOverEmptyMs: 60 };
const EMPTY = 'empty handler';
const SDK = 'sdk baseline';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    config: { type: 'string', default: DEFAULT_CONFIG_FILE },
    'bundle-sdk': { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number.parseInt(args.runs, 10);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${args.runs}'`);
const bundleSdk = args['bundle-sdk'];

// Inside the repository, so the bundles resolve the external @aws-sdk/* from its node_modules.
const outDir = join(REPO_ROOT, 'bench-output', 'coldstart');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

interface Bundle {
  name: string;
  file: string;
  bundleKB: number;
  mapKB: number;
  /** Largest contributors to the bundle, by package or folder. */
  topInputs: { input: string; kb: number }[];
  samples: number[];
  error?: string;
}

const config = loadConfig(args.config);
const names = readdirSync(join(REPO_ROOT, 'functions'))
  .filter((name) => existsSync(handlerEntry(name)))
  .sort();
const emptyEntry = syntheticHandler('empty', 'export const handler = async (): Promise<object> => ({});');
const sdkEntry = syntheticHandler(
  'sdk',
  [
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
    "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
    'export const handler = async (): Promise<object> => DynamoDBDocumentClient.from(new DynamoDBClient({}));',
  ].join('\n'),
);

const bundles: Bundle[] = [];
const entries: [string, string][] = [
  [EMPTY, emptyEntry],
  [SDK, sdkEntry],
  ...names.map((n): [string, string] => [n, handlerEntry(n)]),
];
for (const [name, entry] of entries) {
  const file = join(outDir, name.replace(' ', '-'), 'index.mjs');
  const options = esbuildOptions(entry, file, config);
  const result = await esbuild.build({ ...options, external: bundleSdk ? [] : options.external, metafile: true });
  bundles.push({
    name,
    file,
    bundleKB: statSync(file).size / 1024,
    mapKB: existsSync(`${file}.map`) ? statSync(`${file}.map`).size / 1024 : 0,
    topInputs: topInputs(result.metafile, file),
    samples: [],
  });
}

// What the Lambda runtime sets, so handlers that read their environment at load time start as they do in AWS.
const lambdaEnv = {
  PATH: process.env.PATH ?? '',
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'nightshift-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  POWERTOOLS_SERVICE_NAME: config.name,
  LOG_LEVEL: 'WARN',
  EVENTS_TABLE: 'nightshift-events',
  STATE_TABLE: 'nightshift-state',
  DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/nightshift-delivery',
  SES_CONFIGURATION_SET: 'nightshift',
};
const child = [
  'const t0 = performance.now();',
  'await import(process.argv[1]);',
  'process.stdout.write(JSON.stringify({ ms: performance.now() - t0 }));',
].join('\n');

function measure(bundle: Bundle): number | undefined {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', child, `file://${bundle.file}`], {
    cwd: REPO_ROOT,
    env: lambdaEnv,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) {
    bundle.error ??= (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' | ');
    return undefined;
  }
  return (JSON.parse(r.stdout) as { ms: number }).ms;
}

// One discarded round warms the file cache; then rounds interleave the bundles so drift hits them all alike.
for (const b of bundles) measure(b);
for (let i = 0; i < runs; i++) {
  for (const b of bundles) {
    const ms = measure(b);
    if (ms !== undefined) b.samples.push(ms);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const empty = bundles[0]!;
const emptyMs = median(empty.samples);
const sdk = bundles[1]!;
const sdkMs = median(sdk.samples);
const rows = bundles.slice(2).map((b) => {
  const loadMs = median(b.samples);
  const overEmptyMs = loadMs - emptyMs;
  const reasons: string[] = [];
  if (b.error) reasons.push(`import failed: ${b.error}`);
  if (b.bundleKB > BUDGET.bundleKB) reasons.push(`bundle > ${BUDGET.bundleKB} KB`);
  if (!(overEmptyMs <= BUDGET.loadOverEmptyMs)) reasons.push(`load > empty + ${BUDGET.loadOverEmptyMs} ms`);
  return { ...b, loadMs, overEmptyMs, pass: reasons.length === 0, reasons };
});

const sdkVersion = readVersion('@aws-sdk/client-dynamodb');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
console.log(`Cold start: import of each bundle in a fresh Node ${process.version} process, median of ${runs}`);
console.log(
  '(measured in the child with performance.now() around import(); NODE_OPTIONS=--enable-source-maps as deployed)',
);
console.log(
  bundleSdk
    ? '@aws-sdk/* bundled (--bundle-sdk): NOT how it is deployed.'
    : `@aws-sdk/* external as deployed; here resolved from the repository's node_modules (client-dynamodb ${sdkVersion}), its load time included.`,
);
console.log('');
const header = ['function', 'bundle KB', 'map KB', 'load ms', 'vs empty', 'verdict'];
const table = [
  [EMPTY, f1(empty.bundleKB), f1(empty.mapKB), f1(emptyMs), '', empty.error ? `import failed: ${empty.error}` : ''],
  [
    SDK,
    f1(sdk.bundleKB),
    f1(sdk.mapKB),
    f1(sdkMs),
    `+${f1(sdkMs - emptyMs)}`,
    sdk.error ? `import failed: ${sdk.error}` : '(reference: DynamoDB clients only)',
  ],
  ...rows.map((r) => [
    r.name,
    f1(r.bundleKB),
    f1(r.mapKB),
    f1(r.loadMs),
    `+${f1(r.overEmptyMs)}`,
    r.pass ? 'PASS' : `FAIL (${r.reasons.join('; ')})`,
  ]),
];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const row of [header, ...table]) {
  console.log(
    row.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
  );
}
console.log('');
console.log(`budget: bundle <= ${BUDGET.bundleKB} KB, load <= empty handler + ${BUDGET.loadOverEmptyMs} ms`);
for (const r of rows) {
  console.log(`  ${r.name}: largest inputs ${r.topInputs.map((t) => `${t.input} ${f1(t.kb)} KB`).join(', ')}`);
}
if (rows.length === 0) console.log('no functions/*/handler.ts yet: only the empty handler was measured');

const pass = rows.every((r) => r.pass) && !empty.error;
if (args.json) {
  console.log(
    JSON.stringify({
      bench: 'coldstart',
      node: process.version,
      runs,
      sdk: bundleSdk ? 'bundled' : `external (resolved from node_modules, client-dynamodb ${sdkVersion})`,
      budget: BUDGET,
      empty: { bundleKB: round(empty.bundleKB), loadMs: round(emptyMs) },
      sdkBaseline: { bundleKB: round(sdk.bundleKB), loadMs: round(sdkMs), overEmptyMs: round(sdkMs - emptyMs) },
      functions: rows.map((r) => ({
        name: r.name,
        bundleKB: round(r.bundleKB),
        mapKB: round(r.mapKB),
        loadMs: round(r.loadMs),
        overEmptyMs: round(r.overEmptyMs),
        pass: r.pass,
        reasons: r.reasons,
        topInputs: r.topInputs.map((t) => ({ input: t.input, kb: round(t.kb) })),
      })),
      pass,
    }),
  );
}
if (args.strict && !pass) process.exitCode = 1;

/** A handler written under bench-output, bundled like the real ones. */
function syntheticHandler(name: string, source: string): string {
  const entry = join(outDir, `${name}-src`, 'handler.ts');
  mkdirSync(join(outDir, `${name}-src`), { recursive: true });
  writeFileSync(entry, `${source}\n`);
  return entry;
}

function round(x: number): number | null {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

function topInputs(metafile: esbuild.Metafile, file: string): { input: string; kb: number }[] {
  const output = Object.entries(metafile.outputs).find(([path]) => file.endsWith(path.replace(/^(\.\.\/)+/, '')));
  const inputs = output?.[1].inputs ?? {};
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const key = pkg ?? path.split('/').slice(0, 2).join('/');
    totals.set(key, (totals.get(key) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([input, bytes]) => ({ input, kb: bytes / 1024 }));
}

function readVersion(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'not installed';
  }
}
