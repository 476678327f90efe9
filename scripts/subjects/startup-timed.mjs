// Startup, split in-process: what the startup figure's whole-process time is
// made of. bench.ts copies this file next to lib/logging.ts compiled to
// logging.mjs. Prints {"nodeFsMs", "importMs", "initMs", "infoMs", "exitMs"}.
//
//   node startup-timed.mjs EMPTY_DIR
import { performance } from 'node:perf_hooks';

const t0 = performance.now();
// Any ES module that imports node:fs pays for its ES facade once; the logger is
// often the first to do it, so it is timed apart.
await import('node:fs');
const t1 = performance.now();
const { initLogging } = await import('./logging.mjs');
const t2 = performance.now();
const session = initLogging({ dir: process.argv[2] });
const t3 = performance.now();
session.logger.info('Started');
const t4 = performance.now();
// From the last line of the program to the end of the exit hooks: the logger's
// pending write and its exit hook (this listener runs after the logger's).
process.on('exit', () => {
  const t5 = performance.now();
  process.stdout.write(JSON.stringify({
    nodeFsMs: t1 - t0, importMs: t2 - t1, initMs: t3 - t2, infoMs: t4 - t3, exitMs: t5 - t4,
  }) + '\n');
});
