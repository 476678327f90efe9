/**
 * The disk budget of the log directory (docs/design.md §6, §3 rule 6): after the age
 * rule, the oldest ended sessions' logs go while the logs add up to more than
 * `maxTotalBytes` or the file system has less than `minFreeBytes` free; never a
 * running session's. Real files; a real tmpfs for free space; eight real
 * processes at once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';

import { pruneOldLogs, resolveSettings } from '../lib/logging.ts';
import { deadPid, fileTimeOf, headerLine, mountTmpfs, tempDir, thisPlace } from './helpers/log-files.ts';
import { pruneRace } from './helpers/prune-race.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * A running session's PID: a process that stays alive until the test ends and
 * holds its log in `dir` open, as a session does (so rule 4 knows it for the
 * session that wrote the log, however old the file's times are made below).
 */
async function livePid(t: TestContext, dir: string): Promise<number> {
  const script = 'exec 3>>"$0/automake_2026-01-01_$$.log"; echo ready; exec sleep 60';
  const child = spawn('sh', ['-c', script, dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(child.pid !== undefined);
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return child.pid;
}

/**
 * Writes logs of `size` bytes for `pids`, oldest first: created one after the
 * other (birth times rise) and with mtimes a minute apart (for file systems
 * without a birth time).
 */
function makeLogs(dir: string, pids: number[], size: number): string[] {
  const start = Date.now() / 1000 - 3600;
  return pids.map((pid, i) => {
    const file = path.join(dir, `automake_2026-01-01_${pid}.log`);
    // The header says the session ran here, so its PID decides whether it runs (§12).
    const header = headerLine(pid);
    fs.writeFileSync(file, header + 'r'.repeat(size - header.length - 1) + '\n');
    fs.utimesSync(file, start + 60 * i, start + 60 * i);
    return file;
  });
}

function sizeOf(files: string[]): number {
  return files.reduce((sum, file) => sum + fs.statSync(file).size, 0);
}

test('without maxTotalBytes or minFreeBytes pruneOldLogs applies the age rule only, and reports the bytes', (t) => {
  const dir = tempDir(t);
  const files = makeLogs(dir, [deadPid(0), deadPid(1), deadPid(2)], 10 * KIB);
  const report = pruneOldLogs(dir);
  assert.deepEqual(report, { deleted: [], kept: 3, errors: [], deletedBytes: 0, totalBytes: 30 * KIB });
  assert.deepEqual(files.filter((file) => fs.existsSync(file)), files);
});

test("over budget: the oldest ended sessions' logs go first, running sessions' logs (here, the oldest, and in another container) stay, and the total ends within the budget", async (t) => {
  const dir = tempDir(t);
  const [running, elsewhere, ...ended] = makeLogs(dir, [await livePid(t, dir), 1, deadPid(0), deadPid(1), deadPid(2), deadPid(3), deadPid(4)], 10 * KIB);
  // A session in another container, idle for a minute: running, by its fresh mtime.
  const header = headerLine(1, { ...thisPlace(), pidNamespace: 'pid:[1]' });
  fs.writeFileSync(elsewhere, header + 'r'.repeat(10 * KIB - header.length - 1) + '\n');
  fs.utimesSync(elsewhere, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  // 70 KiB in all: three ended logs must go to get within 45 KiB.
  const report = pruneOldLogs(dir, { maxTotalBytes: 45 * KIB });
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.deleted, ended.slice(0, 3), 'the three oldest ended sessions\' logs, oldest first');
  assert.equal(report.deletedBytes, 30 * KIB);
  assert.equal(report.kept, 4);
  assert.equal(report.totalBytes, 40 * KIB);
  assert.ok(fs.existsSync(running) && fs.existsSync(elsewhere), 'the running sessions\' logs stay, here and in another container');
  assert.deepEqual(ended.map((file) => fs.existsSync(file)), [false, false, false, true, true]);
  assert.equal(sizeOf([running, elsewhere, ...ended.slice(3)]), report.totalBytes);
});

test('the budget counts running sessions\' logs but never deletes them: with only those left over budget, it stops', async (t) => {
  const dir = tempDir(t);
  const [running, ended] = makeLogs(dir, [await livePid(t, dir), deadPid(0)], 10 * KIB);
  const report = pruneOldLogs(dir, { maxTotalBytes: 5 * KIB });
  assert.deepEqual(report.deleted, [ended]);
  assert.equal(report.totalBytes, 10 * KIB, 'still over budget: nothing else may go');
  assert.ok(fs.existsSync(running));
});

test('a dry run lists what the budget would delete and deletes nothing', (t) => {
  const dir = tempDir(t);
  const files = makeLogs(dir, [deadPid(0), deadPid(1), deadPid(2)], 10 * KIB);
  const report = pruneOldLogs(dir, { maxTotalBytes: 15 * KIB, dryRun: true });
  assert.deepEqual(report.deleted, files.slice(0, 2));
  assert.equal(report.deletedBytes, 20 * KIB);
  assert.equal(report.totalBytes, 10 * KIB);
  assert.ok(files.every((file) => fs.existsSync(file)));
});

test('a bad maxTotalBytes or minFreeBytes throws a TypeError naming it', (t) => {
  const dir = tempDir(t);
  assert.throws(() => pruneOldLogs(dir, { maxTotalBytes: -1 }), /^TypeError: "maxTotalBytes" must be a whole number of bytes.*: received -1$/);
  assert.throws(() => pruneOldLogs(dir, { minFreeBytes: Number.NaN }), /^TypeError: "minFreeBytes" .*: received NaN$/);
});

// --- free space, on a real small file system -------------------------------------

function freeBytes(dir: string): number {
  const { bavail, bsize } = fs.statfsSync(dir);
  return bavail * bsize;
}

test('free space below minFreeBytes: the oldest ended logs go until it is back, other files stay', (t) => {
  const disk = mountTmpfs(t, '8m');
  if (disk === undefined) return t.skip('mounting a tmpfs is not permitted here');
  const other = path.join(disk, 'not-a-log.bin');
  fs.writeFileSync(other, Buffer.alloc(MIB));
  const files = makeLogs(disk, [deadPid(0), deadPid(1), deadPid(2), deadPid(3), deadPid(4), deadPid(5)], MIB);
  const before = freeBytes(disk);
  const minFree = before + 2.5 * MIB;
  t.diagnostic(`${(before / MIB).toFixed(2)} MiB free, keeping ${(minFree / MIB).toFixed(2)} MiB free`);
  const report = pruneOldLogs(disk, { minFreeBytes: minFree });
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.deleted, files.slice(0, 3), 'the three oldest: two were not enough');
  assert.ok(freeBytes(disk) >= minFree);
  assert.ok(fs.existsSync(other), 'a file that is no session log stays');
  assert.deepEqual(files.map((file) => fs.existsSync(file)), [false, false, false, true, true, true]);
});

test('on a small file system the defaults are its share: 16 MiB of logs at least, 5% kept free, one eighth per session', (t) => {
  const disk = mountTmpfs(t, '100m');
  if (disk === undefined) return t.skip('mounting a tmpfs is not permitted here');
  const { settings } = resolveSettings({ dir: disk, env: {} });
  assert.equal(settings.maxTotalBytes.value, 16 * MIB, '10% is 10 MiB: the floor is 16 MiB');
  assert.equal(settings.minFreeBytes.value, 5 * MIB);
  assert.equal(settings.maxSessionBytes.value, 2 * MIB);
});

// --- eight processes at once ---------------------------------------------------

const RACERS = 8;
const RACE_FILES = 400;
const RACE_FILE_BYTES = 4 * KIB;

test(`${RACERS} processes starting at once on a directory over budget: each file deleted once, no errors, together no more than needed`, async (t) => {
  const root = tempDir(t, 'automake-budget-race-');
  const dir = path.join(root, 'logs');
  fs.mkdirSync(dir);
  const files: string[] = [];
  for (let i = 0; i < RACE_FILES; i++) {
    const pid = deadPid(i % 100);
    const file = path.join(dir, `automake_2026-01-${String(1 + (i % 28)).padStart(2, '0')}_${pid}.log`);
    const header = headerLine(pid);
    fs.writeFileSync(file, header + 'r'.repeat(RACE_FILE_BYTES - header.length));
    files.push(file);
  }
  // The budget holds 150 files and a half: 250 must go, the oldest.
  const budget = 150.5 * RACE_FILE_BYTES;
  const oldestFirst = [...files].sort((a, b) => fileTimeOf(a) - fileTimeOf(b) || (a < b ? -1 : 1));
  const expected = new Set(oldestFirst.slice(0, RACE_FILES - 150));

  const results = await pruneRace(root, dir, RACERS, Date.now(), budget);

  const seen = new Map<string, number>();
  for (const { pid, report } of results) {
    assert.deepEqual(report.errors, [], `contender ${pid}`);
    assert.equal(report.deletedBytes, report.deleted.length * RACE_FILE_BYTES);
    for (const file of report.deleted) {
      assert.ok(!seen.has(file), `${path.basename(file)} deleted by both ${seen.get(file)} and ${pid}`);
      seen.set(file, pid);
    }
  }
  const busy = new Set(seen.values()).size;
  t.diagnostic(`${busy} of ${RACERS} contenders deleted files`);
  assert.deepEqual(new Set(seen.keys()), expected, 'the deleted lists add up to the oldest 250, no more');
  assert.deepEqual(files.filter((file) => !fs.existsSync(file)).length, expected.size, 'what is gone is what was listed');
});
