// A store as a process sees it until `kill -9`: the first `writes` writes go through; the next one is applied or not
// (the process may die just before or just after DynamoDB took it) and never answers, nor does anything after it.
import type { StateStore } from '#shared/store/store.ts';

export function killedAfter(
  store: StateStore,
  writes: number,
  applyLast: boolean,
): { store: StateStore; killed: Promise<'killed'> } {
  let n = 0;
  let dead = false;
  let onKill!: () => void;
  const killed = new Promise<'killed'>((resolve) => {
    onKill = () => resolve('killed');
  });
  const never = new Promise<never>(() => {});
  const write = async <T>(run: () => Promise<T>): Promise<T> => {
    if (dead) return never;
    if (n++ < writes) return run();
    dead = true;
    if (applyLast) await run();
    onKill();
    return never;
  };
  return { store: withWrites(store, write), killed };
}

/** `store` with every write going through `write` (reads untouched). */
export function withWrites(store: StateStore, write: <T>(run: () => Promise<T>) => Promise<T>): StateStore {
  return {
    ...store,
    put: (table, item, condition) => write(() => store.put(table, item, condition)),
    putMany: (table, items) => write(() => store.putMany(table, items)),
    delete: (table, pk, sk, condition) => write(() => store.delete(table, pk, sk, condition)),
    increment: (table, pk, sk, counts) => write(() => store.increment(table, pk, sk, counts)),
  };
}
