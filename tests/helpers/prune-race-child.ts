/**
 * One contender of the prune race (tests/prune.test.ts): announces itself, waits
 * for the start file so that every contender starts at once, prunes, and prints
 * its report as one JSON line.
 *
 * Usage: node --import tsx tests/helpers/prune-race-child.ts <dir> <readyDir> <startFile> <nowMs>
 */
import * as fs from 'node:fs';

import { pruneOldLogs } from '../../lib/logging.ts';

const [dir, readyDir, startFile, nowText] = process.argv.slice(2);
const cell = new Int32Array(new SharedArrayBuffer(4));

// Everything that can be loaded is loaded before the barrier: the first call
// below is the real prune.
pruneOldLogs(`${readyDir}/no-such-dir`, { now: Number(nowText) });
fs.writeFileSync(`${readyDir}/${process.pid}`, '');
const deadline = Date.now() + 20_000;
while (!fs.existsSync(startFile)) {
  if (Date.now() > deadline) throw new Error('the start file never appeared');
  Atomics.wait(cell, 0, 0, 0.2);
}
const started = Date.now();
const report = pruneOldLogs(dir, { now: Number(nowText), retentionDays: 7 });
process.stdout.write(JSON.stringify({ pid: process.pid, started, report }) + '\n');
