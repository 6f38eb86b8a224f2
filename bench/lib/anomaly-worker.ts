// Worker for bench/anomaly.ts: scores the whole NAB corpus with one engine tuning per message, so the grid of the
// leave-one-category-out loop runs on every core.
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineTuning } from '#shared/anomaly/engine.ts';
import { readCorpus, scoreCorpusWith } from './nab-corpus.ts';

const corpus = readCorpus(workerData.nabDir as string);
parentPort?.on('message', (message: { id: number; tuning: EngineTuning }) => {
  const { scores } = scoreCorpusWith(corpus, message.tuning);
  parentPort?.postMessage({ id: message.id, scores });
});
