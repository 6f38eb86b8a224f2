// Runs s3rver (a real S3 API server) for one parent process and stops when that parent goes away, however it goes:
// the parent holds the only write end of our stdin, the kernel closes it when the parent exits or is killed (SIGKILL
// included), we read end-of-file and exit. Run as `node s3-supervisor.ts '{"port":N,"directory":"..."}'`; prints
// `ready` once it answers.
import S3rver from 's3rver';

const options = JSON.parse(process.argv[2] ?? '{}') as { port: number; directory: string };
const server = new S3rver({ address: '127.0.0.1', port: options.port, directory: options.directory, silent: true });

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  // Whatever close does, we are gone within a second.
  setTimeout(() => process.exit(0), 1000).unref();
  server.close().finally(() => process.exit(0));
}

try {
  await server.run();
  process.stdout.write('ready\n');
} catch (error) {
  console.error(`cannot start s3rver: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
