// The watchdog's public surface: what the handler, the CLI and the demo use.
export { DEFAULT_THRESHOLDS, type Problem, type Thresholds } from './judge.ts';
export { type Cadence, dueTimes, type RunStream, runStreams } from './schedule.ts';
export {
  type Finding,
  jobSubject,
  parseWatchedJobs,
  QUEUE_SUBJECT,
  type WatchdogDeps,
  type WatchdogSummary,
  watchdogCheck,
} from './watchdog.ts';
