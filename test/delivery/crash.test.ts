// Delivery under crashes, against DynamoDB Local and the local SES: the daily report is planned twice (the schedule
// fired twice) onto a delivery queue played as SQS plays it (visibility timeout, receive count, dead-letter queue, on
// a virtual clock), and send-email's consumer is killed, or fails, at each step of one delivery. Compared with a
// clean run, every mail arrives, nothing reaches the dead-letter queue, and a mail arrives twice only when a sender
// stopped between SES accepting it and the ledger marking it sent. A property-based test does the same with faults
// in any invocations, on any delivery, at any steps.
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { consumeDeliveries } from '#shared/delivery/consumer.ts';
import { CLAIM_TTL_MS, claimDelivery, deliveryRecord } from '#shared/delivery/ledger.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { createSesMailer, type Mailer } from '#shared/mailer/mailer.ts';
import { type DeliveryMessage, deliveryKey } from '#shared/queue/messages.ts';
import { planReport } from '#shared/reporting/plan.ts';
import type { StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';
import { clearInbox, type Invocation, NOW, preparedStore, SimulatedQueue, sesInbox } from './support.ts';

/** send-email's event source: up to 10 records per invocation, processed side by side. */
const BATCH_SIZE = 10;

let ses: LocalSes;
beforeAll(async () => {
  ses = await startSesLocal();
});
afterAll(async () => {
  await ses.stop();
});

/** A step of one delivery and what goes wrong there: the sender dies (kill -9, timeout) or gets an error. */
type Fault =
  | { step: 'claim' | 'mark' | 'release'; written: boolean; and: 'dies' | 'throws' }
  | { step: 'ses'; accepted: boolean; and: 'dies' | 'throws' };

const never = new Promise<never>(() => {});

/**
 * One Lambda process running one invocation: the store and mailer it sees, with `faults` applied to the delivery
 * `target`. Once dead, nothing it started answers (writes already sent to DynamoDB or SES may still land). It notes
 * every delivery SES accepted that the same process did not mark sent: the crash window that may cost a copy.
 */
class SenderProcess {
  dead = false;
  readonly died: Promise<unknown>;
  /** Deliveries SES accepted in this process whose mark this process did not write. */
  readonly unmarked = new Set<string>();
  readonly store: StateStore;
  readonly mailer: Mailer;
  private die!: () => void;
  private readonly pending: Fault[];

  constructor(store: StateStore, mailer: Mailer, target: string, faults: readonly Fault[]) {
    this.pending = [...faults];
    this.died = new Promise<void>((resolve) => {
      this.die = () => {
        this.dead = true;
        resolve();
      };
    });
    const alive = async <T>(run: () => Promise<T>): Promise<T> => {
      if (this.dead) return never;
      const out = await run();
      return this.dead ? never : out;
    };
    const take = (step: Fault['step'], key: string | undefined) => {
      if (key !== target) return undefined;
      const i = this.pending.findIndex((f) => f.step === step);
      return i < 0 ? undefined : this.pending.splice(i, 1)[0];
    };
    const STEP: Record<string, 'claim' | 'mark' | 'release'> = { sending: 'claim', sent: 'mark', failed: 'release' };

    this.store = {
      ...store,
      get: (table, pk, sk) => alive(() => store.get(table, pk, sk)),
      query: (table, pk, options) => store.query(table, pk, options),
      put: async (table, item, condition) => {
        if (this.dead) return never;
        const key = typeof item.deliveryKey === 'string' ? item.deliveryKey : undefined;
        const step = STEP[String(item.status)];
        const fault = step ? take(step, key) : undefined;
        if (fault && 'written' in fault) {
          const ok = fault.written ? await store.put(table, item, condition) : false;
          if (ok && step === 'mark') this.unmarked.delete(key!);
          if (fault.and === 'dies') {
            this.die();
            return never;
          }
          throw new Error(
            `ProvisionedThroughputExceededException (simulated, ${step} ${fault.written ? 'written' : 'not written'})`,
          );
        }
        const ok = await store.put(table, item, condition);
        if (ok && step === 'mark' && key) this.unmarked.delete(key);
        return this.dead ? never : ok;
      },
      putMany: (table, items) => alive(() => store.putMany(table, items)),
      delete: (table, pk, sk, condition) => alive(() => store.delete(table, pk, sk, condition)),
      increment: (table, pk, sk, counts) => alive(() => store.increment(table, pk, sk, counts)),
    };

    this.mailer = {
      sendRaw: async (raw, to, options) => {
        if (this.dead) return never;
        const key = /^X-Nightshift-Delivery: *(.+?)\r?$/im.exec(raw.toString('utf8'))?.[1];
        const fault = take('ses', key);
        if (fault && 'accepted' in fault) {
          if (fault.accepted) {
            await mailer.sendRaw(raw, to, options);
            this.unmarked.add(key!);
          }
          if (fault.and === 'dies') {
            this.die();
            return never;
          }
          throw new Error(
            fault.accepted ? 'socket hang up (simulated: SES took the mail)' : 'MessageRejected (simulated)',
          );
        }
        const sent = await mailer.sendRaw(raw, to, options);
        if (key) this.unmarked.add(key);
        return this.dead ? never : sent;
      },
    };
  }
}

interface Run {
  /** Mails SES accepted, per recipient address. */
  copies: Map<string, number>;
  /** Per delivery key: sends that SES accepted and that no process marked (each may cost one extra copy). */
  windows: Map<string, number>;
  /** Delivery keys of the messages in the dead-letter queue. */
  deadLetters: string[];
  /** Delivery keys the ledger holds as sent. */
  sent: Set<string>;
  /** Every recipient's address by delivery key. */
  addresses: Map<string, string>;
}

/** Faults for the i-th invocation: which delivery they hit and how (the planned messages give the keys). */
type FaultPlan = (i: number, keys: string[]) => { target: string; faults: readonly Fault[] } | undefined;

/** Plans the daily report twice and drains the delivery queue, each invocation with the faults `plan` gives it. */
async function run(config: NightshiftConfig, plan: FaultPlan = () => undefined): Promise<Run> {
  const clock = { now: NOW };
  const now = () => clock.now;
  const store = await preparedStore(config);
  const queue = new SimulatedQueue(clock, { batchSize: BATCH_SIZE });
  const planned: DeliveryMessage[] = [];
  const sink = { enqueue: async (m: readonly DeliveryMessage[]) => void planned.push(...m) };
  await planReport('daily', NOW, { config, queue: sink });
  await planReport('daily', NOW, { config, queue: sink });
  queue.send(planned);
  const keys = [...new Set(planned.map(deliveryKey))];
  const mailer = createSesMailer({ endpoint: ses.endpoint, ...LOCAL_AWS }, { configurationSet: 'nightshift' });
  await clearInbox(ses.endpoint);

  const processes: SenderProcess[] = [];
  await queue.drain((i): Invocation => {
    const faults = plan(i, keys);
    const process = new SenderProcess(store, mailer, faults?.target ?? '', faults?.faults ?? []);
    processes.push(process);
    const deps = { store: process.store, config, mailer: process.mailer, now, ...mailSources(process.store, config) };
    return { run: (event) => consumeDeliveries(event, deps), died: process.died };
  });

  const windows = new Map<string, number>();
  for (const p of processes) for (const key of p.unmarked) windows.set(key, (windows.get(key) ?? 0) + 1);
  const copies = new Map<string, number>();
  for (const mail of await sesInbox(ses.endpoint)) {
    for (const to of mail.destination.to) copies.set(address(to), (copies.get(address(to)) ?? 0) + 1);
  }
  const sent = new Set<string>();
  for (const key of keys) if ((await deliveryRecord(store, key))?.status === 'sent') sent.add(key);
  const people = new Map(config.people.map((p) => [p.id, p.email]));
  return {
    copies,
    windows,
    deadLetters: queue.deadLetters.map((m) => deliveryKey(JSON.parse(m.body) as DeliveryMessage)),
    sent,
    addresses: new Map(planned.map((m) => [deliveryKey(m), people.get(m.recipientId)!])),
  };
}

const address = (to: string) => /<([^>]+)>/.exec(to)?.[1] ?? to;

const CASES: Array<{ name: string; faults: Fault[]; copies: 1 | 2 }> = [
  {
    name: 'dies while claiming, before the claim is written',
    faults: [{ step: 'claim', written: false, and: 'dies' }],
    copies: 1,
  },
  { name: 'dies right after the claim', faults: [{ step: 'claim', written: true, and: 'dies' }], copies: 1 },
  { name: 'the claim write fails', faults: [{ step: 'claim', written: false, and: 'throws' }], copies: 1 },
  { name: 'SES refuses the mail', faults: [{ step: 'ses', accepted: false, and: 'throws' }], copies: 1 },
  {
    name: 'dies while calling SES, before it accepted',
    faults: [{ step: 'ses', accepted: false, and: 'dies' }],
    copies: 1,
  },
  {
    name: 'SES refuses and the sender dies giving the claim back',
    faults: [
      { step: 'ses', accepted: false, and: 'throws' },
      { step: 'release', written: false, and: 'dies' },
    ],
    copies: 1,
  },
  {
    name: 'dies after SES accepted, before its answer',
    faults: [{ step: 'ses', accepted: true, and: 'dies' }],
    copies: 2,
  },
  {
    name: 'SES accepted but its answer is lost (an error instead)',
    faults: [{ step: 'ses', accepted: true, and: 'throws' }],
    copies: 2,
  },
  { name: 'dies before the mark is written', faults: [{ step: 'mark', written: false, and: 'dies' }], copies: 2 },
  { name: 'the mark write fails', faults: [{ step: 'mark', written: false, and: 'throws' }], copies: 2 },
  {
    name: 'the mark is written but its answer is lost',
    faults: [{ step: 'mark', written: true, and: 'throws' }],
    copies: 1,
  },
  {
    name: 'dies right after the mark, before SQS hears',
    faults: [{ step: 'mark', written: true, and: 'dies' }],
    copies: 1,
  },
];

describe('delivery under crashes (DynamoDB Local + aws-ses-v2-local)', () => {
  let clean: Run;
  beforeAll(async () => {
    clean = await run(exampleConfig());
  });

  it('a clean run mails each recipient of the report once, however often it was planned', () => {
    const config = exampleConfig();
    const recipients = config.reports.find((r) => r.id === 'daily')!.recipients;
    const emails = recipients.map((id) => config.people.find((p) => p.id === id)!.email);
    expect([...clean.copies.keys()].sort()).toEqual([...emails].sort());
    expect([...clean.copies.values()]).toEqual(emails.map(() => 1));
    expect(clean.windows.size).toBe(0);
    expect(clean.deadLetters).toEqual([]);
  });

  it.each(CASES)('$name: every mail arrives; the crashed one $copies time(s)', async ({ faults, copies }) => {
    const crashed = await run(exampleConfig(), (i, keys) => (i === 0 ? { target: keys[0]!, faults } : undefined));

    // Every mail of the clean run arrived, nothing else, and nothing waits in the dead-letter queue.
    expect([...crashed.copies.keys()].sort()).toEqual([...clean.copies.keys()].sort());
    expect(crashed.deadLetters).toEqual([]);
    expect(crashed.copies.get(crashed.addresses.values().next().value!)).toBe(copies);
    // A second copy of any mail (the target, or a neighbour in the dying batch) only for a send SES accepted and no
    // sender marked, and at most one.
    for (const [key, email] of crashed.addresses) {
      expect(crashed.copies.get(email), key).toBe(1 + (crashed.windows.get(key) ?? 0));
      expect(crashed.copies.get(email), key).toBeLessThanOrEqual(2);
    }
  });
});

const FAULT: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({
    step: fc.constantFrom('claim' as const, 'mark' as const, 'release' as const),
    written: fc.boolean(),
    and: fc.constantFrom('dies' as const, 'throws' as const),
  }),
  fc.record({
    step: fc.constant('ses' as const),
    accepted: fc.boolean(),
    and: fc.constantFrom('dies' as const, 'throws' as const),
  }),
);

describe('delivery under any crashes', () => {
  // Up to three faulty invocations among the first six, each hitting any delivery at any step.
  const plans = fc.dictionary(
    fc.integer({ min: 0, max: 5 }).map(String),
    fc.record({ target: fc.nat(5), faults: fc.array(FAULT, { minLength: 1, maxLength: 2 }) }),
    { maxKeys: 3 },
  );

  test.prop([plans], { numRuns: 8 })(
    'each mail is sent once, plus one copy per stop between SES accepting it and the mark, or is dead-lettered',
    async (faulty) => {
      const result = await run(exampleConfig(), (i, keys) => {
        const f = faulty[String(i)];
        return f ? { target: keys[f.target % keys.length]!, faults: f.faults } : undefined;
      });

      for (const [key, email] of result.addresses) {
        const copies = result.copies.get(email) ?? 0;
        const windows = result.windows.get(key) ?? 0;
        if (result.sent.has(key)) expect(copies, key).toBe(1 + windows);
        else {
          // Not sent: never acknowledged, so every message of it waits in the dead-letter queue.
          expect(copies, key).toBe(windows);
          expect(
            result.deadLetters.filter((k) => k === key),
            key,
          ).toHaveLength(2);
        }
      }
    },
    // A run is a fresh store and a drained queue, about a second each.
    180_000,
  );
});

describe('a claim is never a reason to acknowledge', () => {
  it('a message that finds a live claim goes back to the queue unsent, and is sent once the claim has expired', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const message: DeliveryMessage = {
      kind: 'report',
      reportId: 'daily',
      period: '2026-11-22',
      recipientId: 'ops_director',
    };
    const key = deliveryKey(message);
    // A sender claimed the delivery and died (its claim is all that is left of it).
    await claimDelivery(store, key, NOW);
    await clearInbox(ses.endpoint);
    const clock = { now: NOW + 10_000 };
    const queue = new SimulatedQueue(clock, { batchSize: BATCH_SIZE });
    queue.send([message]);
    const mailer = createSesMailer({ endpoint: ses.endpoint, ...LOCAL_AWS });
    const deps = { store, config, mailer, now: () => clock.now, ...mailSources(store, config) };

    const results = await queue.drain(() => ({ run: (event) => consumeDeliveries(event, deps) }));

    // First receive: claimed elsewhere, so the whole (one-record) batch fails and the message stays queued.
    expect(results.map((r) => r.kind)).toEqual(['failed', 'answered']);
    expect(clock.now - NOW).toBeGreaterThan(CLAIM_TTL_MS);
    expect((await sesInbox(ses.endpoint)).map((m) => m.destination.to.map(address))).toEqual([['sun.mei@example.com']]);
    expect(await deliveryRecord(store, key)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a mail SES keeps refusing is retried, never acknowledged, and ends in the dead-letter queue', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const message: DeliveryMessage = {
      kind: 'report',
      reportId: 'daily',
      period: '2026-11-22',
      recipientId: 'market_ops',
    };
    const clock = { now: NOW };
    const queue = new SimulatedQueue(clock, { batchSize: BATCH_SIZE });
    queue.send([message]);
    let calls = 0;
    const refusing: Mailer = {
      sendRaw: async () => {
        calls++;
        throw new Error('MessageRejected: Email address is not verified.');
      },
    };
    const deps = { store, config, mailer: refusing, now: () => clock.now, ...mailSources(store, config) };

    const results = await queue.drain(() => ({ run: (event) => consumeDeliveries(event, deps) }));

    expect(results.map((r) => r.kind)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(calls).toBe(5);
    expect(queue.deadLetters.map((m) => JSON.parse(m.body))).toEqual([message]);
    expect(await deliveryRecord(store, deliveryKey(message))).toMatchObject({ status: 'failed', attempts: 5 });
  });
});
