// Local ingest benchmark: `nightshift ingest` of a shop's history into a fresh data folder on disk (DynamoDB Local,
// SQLite behind it), as a new user runs it, in events per second from the command's start to its exit; then the same
// file again into the same folder (it stores nothing new: same items); then DynamoDB Local's own write rate on this
// disk, the floor under any ingest: it commits every item in a transaction of its own (about four fsyncs).
//
//   node bench/ingest-local.ts [--days N] [--order time|shuffled|both] [--cli DIR] [--probe-items N] [--quiet] [--json]
//
// --days: days of the demo's events (default 91, 13 weeks: about 265,000 lines with duplicates, late and malformed
// ones); --order: lines in time order (an export), shuffled, or both (default); --cli DIR: the checkout whose
// bin/nightshift.ts runs (default this one): an older one (`git worktree add /tmp/before <commit>`) gives the before
// figure; --probe-items: items of each write probe (default 300). --json: the last stdout line is one JSON object.
// Figures are noisy: the machine's two cores are shared, and DynamoDB Local runs on the same cores as the command.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { generateDemoEvents, mulberry32 } from '#cli/demo/generate.ts';
import { LOCAL_AWS, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient, ensureTables } from '#shared/store/dynamodb.ts';
import { tableNames } from '#shared/store/tables.ts';

class BenchError extends Error {
  override name = 'BenchError';
}

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(REPO, 'bench-output', 'ingest-local');
/** The history's last day and the instant the lines count as sent (--now): every run judges them alike. */
const LAST_DAY = '2026-11-22';
const NOW = '2026-11-23T12:00:00+08:00';
const TIME_ZONE = 'Asia/Shanghai';

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '91' },
    order: { type: 'string', default: 'both' },
    cli: { type: 'string', default: REPO },
    'probe-items': { type: 'string', default: '300' },
    quiet: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const days = Number.parseInt(args.days, 10);
if (!Number.isInteger(days) || days < 1)
  throw new BenchError(`--days: expected a positive integer, got '${args.days}'`);
const probeItems = Number.parseInt(args['probe-items'], 10);
if (!Number.isInteger(probeItems) || probeItems < 25) {
  throw new BenchError(`--probe-items: expected an integer of at least 25, got '${args['probe-items']}'`);
}
const orders = { time: ['time'], shuffled: ['shuffled'], both: ['time', 'shuffled'] }[args.order] as
  | Array<'time' | 'shuffled'>
  | undefined;
if (!orders) throw new BenchError(`--order: expected time, shuffled or both, got '${args.order}'`);
const cli = resolve(args.cli);
if (!existsSync(join(cli, 'bin', 'nightshift.ts'))) throw new BenchError(`--cli: no bin/nightshift.ts in ${cli}`);
const say = (line: string) => {
  if (!args.quiet) process.stderr.write(`${line}\n`);
};

// ---------------------------------------------------------------------------------------------------------------
// The history file

/** The demo's events over `days` days, in arrival order or shuffled (seeded), written once and reused. */
function historyFile(order: 'time' | 'shuffled'): { path: string; lines: number } {
  const path = join(OUT, `history-${days}d-${order}.jsonl`);
  if (!existsSync(path)) {
    say(`generating ${days} days of events (${order})…`);
    const lines = generateDemoEvents({ lastDay: LAST_DAY, days, timeZone: TIME_ZONE }).lines;
    if (order === 'shuffled') {
      const rand = mulberry32(7);
      for (let i = lines.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      }
    }
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path, `${lines.join('\n')}\n`);
  }
  return {
    path,
    lines: readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '').length,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// One `nightshift ingest`, its CPU time and DynamoDB Local's sampled from /proc

const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a live process has used, or undefined once it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The Java process of DynamoDB Local serving this folder. */
function javaOf(dbPath: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline[0]?.endsWith('java') && cmdline.includes(dbPath)) return Number(entry);
    } catch {}
  }
  return undefined;
}

interface IngestRun {
  seconds: number;
  eventsPerSecond: number;
  nodeCpuSeconds: number;
  javaCpuSeconds: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

async function ingest(file: string, data: string, lines: number): Promise<IngestRun> {
  const argv = [join(cli, 'bin', 'nightshift.ts'), '--data', data, '--now', NOW, '--json', 'ingest', file];
  const started = performance.now();
  const child = spawn(process.execPath, argv, { cwd: cli, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const dbPath = join(data, 'dynamodb');
  let java: number | undefined;
  const cpu = { node: 0, java: 0 };
  const sample = setInterval(() => {
    java ??= javaOf(dbPath);
    cpu.node = cpuSeconds(child.pid!) ?? cpu.node;
    if (java !== undefined) cpu.java = cpuSeconds(java) ?? cpu.java;
  }, 100);
  const code = await new Promise<number | null>((done) => child.once('close', done));
  clearInterval(sample);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new BenchError(`nightshift ingest exited ${code}: ${stderr.trim().slice(-1000)}`);
  const out = JSON.parse(stdout) as { accepted: number; duplicates: number; rejected: number | unknown[] };
  return {
    seconds: round(seconds, 1),
    eventsPerSecond: Math.round(lines / seconds),
    nodeCpuSeconds: round(cpu.node, 1),
    javaCpuSeconds: round(cpu.java, 1),
    accepted: out.accepted,
    duplicates: out.duplicates,
    rejected: Array.isArray(out.rejected) ? out.rejected.length : out.rejected,
  };
}

/** Event packs (and events stored alone) of a folder and their mean size, read from DynamoDB Local's SQLite file. */
function itemsOf(data: string): { items: number; meanBytes: number } {
  const db = new DatabaseSync(join(data, 'dynamodb', 'shared-local-instance.db'), { readOnly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%-events'`).all();
    let items = 0;
    let bytes = 0;
    for (const { name } of tables as Array<{ name: string }>) {
      const query = `SELECT count(*) AS n, coalesce(sum(itemSize), 0) AS b FROM "${name}" WHERE CAST(hashKey AS TEXT) LIKE 'EV#%'`;
      const row = db.prepare(query).get() as {
        n: number;
        b: number;
      };
      items += row.n;
      bytes += row.b;
    }
    return { items, meanBytes: items === 0 ? 0 : Math.round(bytes / items) };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB Local's own write rate on this disk

interface Probe {
  itemBytes: number;
  itemsPerSecond: number;
}

/** Items of `bytes` written 25 a BatchWriteItem, one request after another, into a fresh folder on disk. */
async function probe(bytes: number): Promise<Probe> {
  const dbPath = mkdtempSync(join(OUT, 'probe-'));
  const local = await startDynamoLocal({ dbPath, quickStart: true });
  const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
  try {
    const tables = tableNames('probe');
    await ensureTables(client, tables);
    let seq = 0;
    const write = async (count: number) => {
      for (let i = 0; i < count; i += 25) {
        const items = Array.from({ length: Math.min(25, count - i) }, () => ({
          pk: `EV#2026-11-22#${seq % 8}`,
          sk: `P#${seq++}`,
          z: randomBytes(bytes),
        }));
        const RequestItems = { [tables.events]: items.map((Item) => ({ PutRequest: { Item } })) };
        await client.send(new BatchWriteCommand({ RequestItems }));
      }
    };
    await write(50); // warm-up
    const started = performance.now();
    await write(probeItems);
    return { itemBytes: bytes, itemsPerSecond: Math.round(probeItems / ((performance.now() - started) / 1000)) };
  } finally {
    client.destroy();
    await local.stop();
    rmSync(dbPath, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const n = (x: number) => x.toLocaleString('en-US');

interface OrderResult {
  order: 'time' | 'shuffled';
  lines: number;
  first: IngestRun;
  again: IngestRun;
  items: number;
  itemsAfterAgain: number;
  meanItemBytes: number;
  eventsPerItem: number;
}

mkdirSync(OUT, { recursive: true });
say(`nightshift ingest from ${cli}`);
const startUp = await (async () => {
  const one = join(OUT, 'one-line.jsonl');
  writeFileSync(
    one,
    `${JSON.stringify({ messageId: 'one', event: 'Signed Up', timestamp: `${LAST_DAY}T10:00:00+08:00` })}\n`,
  );
  const data = mkdtempSync(join(OUT, 'data-'));
  try {
    return await ingest(one, data, 1);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
})();
say(`one line: ${startUp.seconds} s (start-up: DynamoDB Local, tables, the command)`);

const results: OrderResult[] = [];
for (const order of orders) {
  const { path, lines } = historyFile(order);
  const data = mkdtempSync(join(OUT, 'data-'));
  try {
    say(`${order} order: ingesting ${n(lines)} lines into a new folder…`);
    const first = await ingest(path, data, lines);
    const stored = itemsOf(data);
    say(`  ${first.seconds} s, ${n(first.eventsPerSecond)} lines/s; again into the same folder…`);
    const again = await ingest(path, data, lines);
    const after = itemsOf(data);
    if (after.items !== stored.items) {
      throw new BenchError(`the same file again changed the events table: ${stored.items} items, then ${after.items}`);
    }
    results.push({
      order,
      lines,
      first,
      again,
      items: stored.items,
      itemsAfterAgain: after.items,
      meanItemBytes: stored.meanBytes,
      eventsPerItem: Math.round(first.accepted / Math.max(1, stored.items)),
    });
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

say('probing DynamoDB Local’s own write rate…');
const meanPack = Math.max(1000, Math.round(results.reduce((s, r) => s + r.meanItemBytes, 0) / results.length));
const probes = [await probe(1000), await probe(meanPack)];

console.log(`local ingest into a new data folder on disk (${n(days)} days of demo events; from ${cli}):`);
console.log(
  `${'order'.padEnd(9)}${'lines'.padStart(9)}${'wall'.padStart(9)}${'lines/s'.padStart(9)}${'node CPU'.padStart(10)}${'Java CPU'.padStart(10)}${'items'.padStart(8)}${'ev/item'.padStart(9)}${'again'.padStart(9)}${'lines/s'.padStart(9)}`,
);
for (const r of results) {
  console.log(
    `${r.order.padEnd(9)}${n(r.lines).padStart(9)}${`${r.first.seconds} s`.padStart(9)}${n(r.first.eventsPerSecond).padStart(9)}${`${r.first.nodeCpuSeconds} s`.padStart(10)}${`${r.first.javaCpuSeconds} s`.padStart(10)}${n(r.items).padStart(8)}${n(r.eventsPerItem).padStart(9)}${`${r.again.seconds} s`.padStart(9)}${n(r.again.eventsPerSecond).padStart(9)}`,
  );
}
console.log(
  `  stored ${n(results[0]?.first.accepted ?? 0)} unique events, ${n(results[0]?.first.duplicates ?? 0)} duplicates stored once, ${results[0]?.first.rejected ?? 0} quarantined; the same file again left the same items`,
);
console.log(`  start-up (a one-line file): ${startUp.seconds} s, included above`);
console.log(
  `DynamoDB Local's own write rate on this disk (25 items a BatchWriteItem, one request after another): ${probes.map((p) => `${n(p.itemsPerSecond)} items/s of ${n(p.itemBytes)} B`).join(', ')}`,
);
if (args.json) {
  console.log(JSON.stringify({ cli, days, startUpSeconds: startUp.seconds, orders: results, probes }));
}
