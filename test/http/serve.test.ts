// `nightshift serve`: the local server in-process (stopping finishes what it took, the read limit) and as the real
// CLI process on the test's DynamoDB (--endpoint), stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { addToTotals, emptyTotals, type SegmentServer, serveLines, startSegmentServer } from '#cli/serve.ts';
import { forEachEventOfDay } from '#shared/events/events-store.ts';
import { storeSink } from '#shared/events/http-sinks.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient, createDynamoStore } from '#shared/store/dynamodb.ts';
import { tableNames } from '#shared/store/tables.ts';
import { REPO } from '../local/processes.ts';
import { freshStore } from '../support/dynamo.ts';
import {
  apiDeps,
  basic,
  config,
  handlerFor,
  heldSink,
  now,
  on22nd,
  storedEvents,
  track,
  WRITE_KEY,
} from './support.ts';

let server: SegmentServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** POSTs with node:http (no retries, no pooling surprises): status and body, or the socket error. */
function post(url: string, path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string } | { error: string }>((resolve) => {
    const req = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: basic(WRITE_KEY), 'content-type': 'application/json', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

describe('the local server', () => {
  it('stopping takes no new request and finishes the one in flight: answered 200 and stored', async () => {
    const { store } = await freshStore('http-serve');
    const sink = heldSink(storeSink({ store, config, now }));
    server = await startSegmentServer({ handle: handlerFor(apiDeps(store, { sink })) });
    const { url } = server;

    const inFlight = post(url, '/v1/batch', JSON.stringify({ batch: [track('kept', 60)] }));
    while (sink.waiting() === 0) await new Promise((r) => setTimeout(r, 5));
    const stopped = server.stop();
    const late = await post(url, '/v1/batch', JSON.stringify({ batch: [track('late', 61)] }));
    sink.release();
    const answer = await inFlight;
    await stopped;

    expect(late).toEqual({ error: 'ECONNREFUSED' });
    expect(answer).toMatchObject({ status: 200 });
    expect((await storedEvents(store, ['2026-11-22'])).map((e) => e.messageId)).toEqual(['kept']);
  });

  it('a body far over 500 KB is answered 413, read to its end rather than cut off', async () => {
    const { store } = await freshStore('http-serve');
    server = await startSegmentServer({ handle: handlerFor(apiDeps(store)) });

    const answer = await post(server.url, '/v1/batch', Buffer.alloc(3 * 1024 * 1024, ' '));

    expect(answer).toMatchObject({ status: 413 });
  });

  it('a resent batch of events already stored is counted as duplicates stored once, not as events stored', async () => {
    const { store } = await freshStore('http-serve');
    const totals = emptyTotals();
    server = await startSegmentServer({
      handle: handlerFor(apiDeps(store, { sink: storeSink({ store, config, now }) })),
      onRequest: (summary) => addToTotals(totals, summary),
    });
    const batch = (from: number, n: number) =>
      JSON.stringify({ batch: Array.from({ length: n }, (_, i) => track(`m${from + i}`, from + i)) });

    await post(server.url, '/v1/batch', batch(0, 30));
    await post(server.url, '/v1/batch', batch(0, 20)); // resent: all 20 already stored
    await post(server.url, '/v1/batch', batch(25, 10)); // 5 already stored, 5 new

    expect(await storedEvents(store, ['2026-11-22'])).toHaveLength(35);
    expect(totals).toMatchObject({ received: 60, accepted: 60, stored: 35, duplicates: 25 });
    expect(serveLines(totals)[1]).toBe(
      'received 60 calls: 35 unique events stored (25 duplicates stored once), 0 quarantined, 0 identify/group/alias calls counted and not stored',
    );
  });

  it('another event sent under a messageId already stored is quarantined and said apart from the duplicates', async () => {
    const { store } = await freshStore('http-serve');
    const totals = emptyTotals();
    server = await startSegmentServer({
      handle: handlerFor(apiDeps(store, { sink: storeSink({ store, config, now }) })),
      onRequest: (summary) => addToTotals(totals, summary),
    });

    await post(server.url, '/v1/batch', JSON.stringify({ batch: [track('m1', 1), track('m2', 2)] }));
    // A resend of m1 with a new sentAt (SDKs stamp one per try), and an order for $5,000 under m2's messageId.
    const second = await post(
      server.url,
      '/v1/batch',
      JSON.stringify({
        batch: [
          { ...track('m1', 1), sentAt: on22nd(9).toISOString() },
          track('m2', 2, { properties: { revenue: 5000 } }),
        ],
      }),
    );

    expect(second).toMatchObject({ status: 200 });
    expect(JSON.parse((second as { body: string }).body).problems).toEqual([
      { index: 1, reason: 'reused_message_id', detail: expect.stringContaining('differs in its properties') },
    ]);
    expect(totals).toMatchObject({ stored: 2, duplicates: 1, quarantined: { reused_message_id: 1 } });
    expect(serveLines(totals).at(-1)).toBe(
      '1 call reused the messageId of a different event: kept the first, quarantined this one with reason reused_message_id (nightshift quarantine lists them)',
    );
  });

  it('requests past the waiting room are answered 429 at once (SDKs resend them)', async () => {
    const { store } = await freshStore('http-serve');
    const sink = heldSink(storeSink({ store, config, now }));
    server = await startSegmentServer({
      handle: handlerFor(apiDeps(store, { sink })),
      maxConcurrent: 1,
      maxWaiting: 1,
    });
    const body = (id: string) => JSON.stringify({ batch: [track(id, 60)] });

    const first = post(server.url, '/v1/batch', body('a'));
    while (sink.waiting() === 0) await new Promise((r) => setTimeout(r, 5));
    const others = [post(server.url, '/v1/batch', body('b')), post(server.url, '/v1/batch', body('c'))];
    // While the first is held, one of the others waits its turn; the one with no room is answered at once.
    const refused = await Promise.race(others);
    sink.release();
    const answers = await Promise.all([first, ...others]);

    expect(refused).toMatchObject({ status: 429 });
    expect(answers.map((a) => ('status' in a ? a.status : a.error)).sort()).toEqual([200, 200, 429]);
    expect(await storedEvents(store, ['2026-11-22'])).toHaveLength(2);
  });
});

describe('nightshift serve (the CLI process)', () => {
  /** A copy of the example config under a fresh name: the command's tables are its own. */
  function scratchConfig(): { file: string; name: string } {
    const name = `serve-${Math.random().toString(36).slice(2, 10)}`;
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-serve-'));
    const file = join(dir, 'nightshift.config.yaml');
    writeFileSync(
      file,
      readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`),
    );
    return { file, name };
  }

  function serve(configFile: string): {
    child: ChildProcess;
    url: Promise<string>;
    ended: Promise<{ code: number | null; stdout: string; stderr: string }>;
  } {
    const child = spawn(
      process.execPath,
      [
        join(REPO, 'bin', 'nightshift.ts'),
        '--config',
        configFile,
        '--endpoint',
        inject('dynamoEndpoint'),
        '--now',
        '2026-11-23T02:00:00+08:00',
        '--json',
        'serve',
        '--port',
        '0',
        '--write-key',
        WRITE_KEY,
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000, killSignal: 'SIGKILL' },
    );
    let stdout = '';
    let stderr = '';
    const url = new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = /\{"listening":"([^"]+)"\}/.exec(stdout);
        if (line) resolve(line[1]!);
      });
      child.once('close', () => reject(new Error(`serve ended before listening: ${stderr}`)));
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, stderr })),
    );
    return { child, url, ended };
  }

  it('stores what @segment/analytics-node sends until SIGTERM, then prints its totals and exits 0', async () => {
    const { file, name } = scratchConfig();
    const cli = serve(file);
    const url = await cli.url;
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: url, flushAt: 50, httpRequestTimeout: 120_000 });
    for (let i = 0; i < 1000; i++) {
      const common = { messageId: `cli-${i}`, userId: `u_${i % 50}`, timestamp: on22nd(i) };
      if (i % 100 === 0) analytics.identify({ ...common, traits: { plan: 'pro' } });
      else analytics.track({ ...common, event: 'Signed Up' });
    }
    await analytics.closeAndFlush();
    cli.child.kill('SIGTERM');
    const { code, stdout, stderr } = await cli.ended;

    const store = createDynamoStore({
      client: createDocumentClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL_AWS }),
      tables: tableNames(name),
    });
    const ids: string[] = [];
    await forEachEventOfDay(store, '2026-11-22', config.ingest.shardsPerDay, (e) => ids.push(e.messageId));
    const totals = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect([code, stderr]).toEqual([0, '']);
    expect(ids).toHaveLength(990);
    expect(totals).toMatchObject({
      requests: 20,
      statuses: { 200: 20 },
      received: 1000,
      accepted: 990,
      profileCalls: { identify: 10 },
    });
  }, 300_000);

  it('refuses to start without --write-key', async () => {
    const { file } = scratchConfig();
    const child = spawn(process.execPath, [join(REPO, 'bin', 'nightshift.ts'), '--config', file, 'serve'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));

    expect(code).toBe(1);
    expect(stderr).toMatch(/--write-key KEY is required/);
  }, 60_000);
});
