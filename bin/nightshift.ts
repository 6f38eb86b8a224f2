#!/usr/bin/env node
import { enableCompileCache } from 'node:module';

// A signal while the CLI loads (under a second; nothing is started yet) ends it as the signal would, saying so rather
// than vanishing. Once a command runs, its own handling takes over (the data folder's lock, serve's stop).
const whileLoading = (signal: NodeJS.Signals) => {
  console.error(`nightshift: stopped by ${signal} while loading`);
  process.kill(process.pid, signal);
};
process.once('SIGINT', whileLoading);
process.once('SIGTERM', whileLoading);

// Every command loads the whole CLI (about a second); V8's compiled code, cached on disk (the system's temporary
// folder), takes a third or more off that from the second run on. Before the import: a static one would load first.
enableCompileCache();
const { main } = await import('#cli/main.ts');
// A signal caught while the modules compiled is dispatched on the next turn of the event loop: let it come first.
await new Promise((resolve) => setImmediate(resolve));
process.off('SIGINT', whileLoading);
process.off('SIGTERM', whileLoading);

await main(process.argv);
