/**
 * Pruning (docs/design.md §3): which entries are considered, which are deleted, how
 * age is measured, live sessions, per-file errors, the report, and eight
 * processes pruning one directory at once.
 *
 * Birthtime cannot be set in the past, so files are aged with the `now` option.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';

import { logFileTime, parseLogFileName, pruneOldLogs } from '../lib/logging.ts';
import { AS_NOBODY, ROOT } from './helpers/child.ts';
import { DAY_MS, deadPid, endedPid, fileTimeOf, headerLine, MAX_CHECKED_PID, pidMax, tempDir } from './helpers/log-files.ts';
import { pruneRace } from './helpers/prune-race.ts';

// Far enough ahead that every file made by these tests is old.
const FAR_FUTURE = Date.now() + 100 * 365 * DAY_MS;

// The size of every log makeLog writes without content of its own.
const LOG_BYTES = 256;

/**
 * A log named `name` whose header says its session (the PID in the name) ran on
 * this host, boot and PID namespace, so that its PID decides whether it runs
 * (§12); then `content`, by default records up to LOG_BYTES in all.
 */
function makeLog(dir: string, name: string, content?: string): string {
  const file = path.join(dir, name);
  const header = headerLine(parseInt(name.slice(name.lastIndexOf('_') + 1), 10));
  fs.writeFileSync(file, header + (content ?? 'a record\n'.repeat(32).slice(0, LOG_BYTES - header.length - 1) + '\n'));
  return file;
}

/** A process that stays alive until the test ends. */
function liveChildPid(t: TestContext): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

// --- logFileTime ---------------------------------------------------------------

test('logFileTime takes a positive finite birthtime', () => {
  assert.equal(logFileTime({ birthtimeMs: 1_700_000_000_123.5, mtimeMs: 1_800_000_000_000 }), 1_700_000_000_123.5);
  assert.equal(logFileTime({ birthtimeMs: 1, mtimeMs: 5 }), 1);
});

test('logFileTime falls back to mtime when the birthtime is 0, NaN, negative, missing or infinite', () => {
  for (const birthtimeMs of [0, Number.NaN, -1, -1_700_000_000_000, undefined, Infinity, -Infinity]) {
    assert.equal(logFileTime({ birthtimeMs, mtimeMs: 1_234 }), 1_234, String(birthtimeMs));
  }
  assert.equal(logFileTime({ mtimeMs: 42 }), 42);
});

// --- which entries are considered ----------------------------------------------

test('pruneOldLogs deletes only files whose name matches <prefix>_YYYY-MM-DD_PID[-N].log exactly', (t) => {
  const dir = tempDir(t);
  const pid = deadPid();
  const match = makeLog(dir, `automake_2024-01-01_${pid}.log`);
  const numbered = makeLog(dir, `automake_2024-01-01_${pid}-2.log`);
  const nearMisses = [
    `automake_2024-1-01_${pid}.log`,
    `automake_2024-01-1_${pid}.log`,
    `automake_20240-01-01_${pid}.log`,
    `automake_2024-01-01_${pid}.log.bak`,
    `automake_2024-01-01_${pid}.LOG`,
    `automake_2024-01-01_${pid}.log `,
    `automake_2024-01-01_${pid}.log\n`,
    `xautomake_2024-01-01_${pid}.log`,
    `Automake_2024-01-01_${pid}.log`,
    `automake-2024-01-01_${pid}.log`,
    `automake_2024-01-01_abc.log`,
    `automake_2024-01-01_.log`,
    `automake_2024-01-01_-${pid}.log`,
    `automake_2024-01-01_${pid}x.log`,
    `automake_2024-01-01_${pid}-.log`,
    `automake_2024-01-01_${pid}-2-2.log`,
    `automake_2024-01-01_${pid}_2.log`,
    `automake_2024-01-01_${pid}`,
    `automake_2024-01-01_${pid}.log.1`,
    `other.log`,
  ];
  for (const name of nearMisses) makeLog(dir, name);
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  report.deleted.sort();
  assert.deepEqual(report, { deleted: [match, numbered].sort(), kept: 0, errors: [], deletedBytes: 2 * LOG_BYTES, totalBytes: 0 });
  assert.deepEqual(fs.readdirSync(dir).sort(), [...nearMisses].sort());
});

test('a symlink with a matching name is left, and so is its target', (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  const target = path.join(elsewhere, `automake_2024-01-01_${deadPid(1)}.log`);
  fs.writeFileSync(target, 'target content\n');
  const link = path.join(dir, `automake_2024-01-02_${deadPid()}.log`);
  fs.symlinkSync(target, link);
  const dangling = path.join(dir, `automake_2024-01-03_${deadPid()}.log`);
  fs.symlinkSync(path.join(elsewhere, 'missing.log'), dangling);
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report, { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 });
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.ok(fs.lstatSync(dangling).isSymbolicLink());
  assert.equal(fs.readFileSync(target, 'utf8'), 'target content\n');
});

test('a directory and a FIFO with matching names are left, neither counted nor errors', (t) => {
  const dir = tempDir(t);
  const subdir = path.join(dir, `automake_2024-01-01_${deadPid()}.log`);
  fs.mkdirSync(subdir);
  makeLog(subdir, 'inside.txt');
  const fifo = path.join(dir, `automake_2024-01-02_${deadPid()}.log`);
  execFileSync('mkfifo', [fifo]);
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report, { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 });
  assert.ok(fs.lstatSync(subdir).isDirectory());
  assert.ok(fs.existsSync(path.join(subdir, 'inside.txt')));
  assert.ok(fs.lstatSync(fifo).isFIFO());
});

// --- age --------------------------------------------------------------------------

test('a file exactly as old as the retention period is kept; one millisecond older is deleted', (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  const time = fileTimeOf(file);
  const retention = 7 * DAY_MS;
  // Precondition: the sum is exact, so "now - time" is exactly the retention.
  assert.equal(time + retention - time, retention);
  assert.deepEqual(pruneOldLogs(dir, { now: time + retention }), { deleted: [], kept: 1, errors: [], deletedBytes: 0, totalBytes: LOG_BYTES });
  assert.ok(fs.existsSync(file));
  assert.deepEqual(pruneOldLogs(dir, { now: time + retention + 1 }), { deleted: [file], kept: 0, errors: [], deletedBytes: LOG_BYTES, totalBytes: 0 });
  assert.ok(!fs.existsSync(file));
});

test('the default retention is 7 days', (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  const time = fileTimeOf(file);
  assert.equal(pruneOldLogs(dir, { now: time + 7 * DAY_MS }).kept, 1);
  assert.deepEqual(pruneOldLogs(dir, { now: time + 7 * DAY_MS + 1 }).deleted, [file]);
});

test('age is measured from the birthtime, not from a later write', (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  const stats = fs.statSync(file);
  if (!(stats.birthtimeMs > 0)) {
    t.skip('this filesystem reports no birthtime');
    return;
  }
  // An mtime far in the future would make the file young if mtime were used.
  const future = new Date(FAR_FUTURE + DAY_MS);
  fs.utimesSync(file, future, future);
  assert.deepEqual(pruneOldLogs(dir, { now: stats.birthtimeMs + 8 * DAY_MS }).deleted, [file]);
});

test('a file whose timestamp is in the future is never old', (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  const time = fileTimeOf(file);
  for (const now of [time - 1, time - 30 * DAY_MS, time - 1000 * DAY_MS]) {
    assert.deepEqual(pruneOldLogs(dir, { now, retentionDays: 1e-9 }), { deleted: [], kept: 1, errors: [], deletedBytes: 0, totalBytes: LOG_BYTES }, String(now));
  }
  assert.ok(fs.existsSync(file));
});

test('fractional retentionDays are honoured', (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  const time = fileTimeOf(file);
  const halfDay = DAY_MS / 2;
  assert.deepEqual(pruneOldLogs(dir, { now: time + halfDay, retentionDays: 0.5 }).kept, 1);
  // Older than half a day, younger than one: 1 keeps it, 0.5 deletes it.
  assert.deepEqual(pruneOldLogs(dir, { now: time + halfDay + 1, retentionDays: 1 }).kept, 1);
  assert.deepEqual(pruneOldLogs(dir, { now: time + halfDay + 1, retentionDays: 0.5 }).deleted, [file]);
});

test('retentionDays Infinity deletes nothing', (t) => {
  const dir = tempDir(t);
  makeLog(dir, `automake_2024-01-01_${deadPid()}.log`);
  assert.deepEqual(pruneOldLogs(dir, { now: FAR_FUTURE, retentionDays: Infinity }), { deleted: [], kept: 1, errors: [], deletedBytes: 0, totalBytes: LOG_BYTES });
});

test('bad options throw a TypeError', (t) => {
  const dir = tempDir(t);
  for (const retentionDays of [0, -1, Number.NaN]) {
    assert.throws(() => pruneOldLogs(dir, { retentionDays }), (e: unknown) => e instanceof TypeError && /retentionDays/.test(e.message));
  }
  assert.throws(() => pruneOldLogs(dir, { prefix: '../x' }), TypeError);
  assert.throws(() => pruneOldLogs(dir, { now: Number.NaN }), TypeError);
});

// --- live sessions -----------------------------------------------------------------

test('a file whose PID is alive is kept, however old', (t) => {
  const dir = tempDir(t);
  const own = makeLog(dir, `automake_2020-01-01_${process.pid}.log`);
  const child = makeLog(dir, `automake_2020-01-01_${liveChildPid(t)}.log`);
  const dead = makeLog(dir, `automake_2020-01-01_${deadPid()}.log`);
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report, { deleted: [dead], kept: 2, errors: [], deletedBytes: LOG_BYTES, totalBytes: 2 * LOG_BYTES });
  assert.ok(fs.existsSync(own));
  assert.ok(fs.existsSync(child));
});

test('a file whose PID has exited is deleted once old', async (t) => {
  const dir = tempDir(t);
  const file = makeLog(dir, `automake_2020-01-01_${endedPid()}.log`);
  // The PID could have been reused within these milliseconds; that is the only way this is kept.
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report.deleted, [file]);
});

/**
 * Runs `script` (plain JavaScript beside lib/logging.ts compiled to logging.mjs)
 * as the user nobody, under a private /proc mounted with hidepid=2: the processes
 * of other users are invisible, as on a hardened server. A reason to skip
 * where this machine cannot do that (not root, no mount namespaces).
 */
function runAsNobodyUnderHidepid(t: TestContext, script: string, args: string[]): { stdout: string } | { skip: string } {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return { skip: 'mounting a private /proc with hidepid needs root on Linux' };
  const bin = tempDir(t);
  fs.chmodSync(bin, 0o755);
  // tsx cannot be assumed readable by nobody, so the logger is compiled with tsx's own esbuild.
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [
    path.join(ROOT, 'lib', 'logging.ts'), '--format=esm', '--platform=node', '--target=node20', `--outfile=${path.join(bin, 'logging.mjs')}`, '--log-level=warning',
  ]);
  fs.writeFileSync(path.join(bin, 'child.mjs'), script);
  fs.writeFileSync(path.join(bin, 'probe.mjs'), '');
  for (const name of fs.readdirSync(bin)) fs.chmodSync(path.join(bin, name), 0o644);
  const underHidepid = (file: string, ...rest: string[]) =>
    ['-m', '--', 'sh', '-c', 'mount -t proc -o hidepid=2 proc /proc && exec "$0" "$@"', ...AS_NOBODY, process.execPath, path.join(bin, file), ...rest];
  try {
    // Also proves that nobody can reach node and the temporary directory.
    execFileSync('unshare', underHidepid('probe.mjs'), { stdio: 'pipe' });
  } catch (error) {
    const lines = String((error as { stderr?: Buffer }).stderr || error).split('\n');
    const why = lines.find((line) => /error|denied|not permitted|cannot/i.test(line)) ?? lines[0];
    return { skip: `cannot run as nobody under a private hidepid /proc here: ${why.trim()}` };
  }
  const stdout = execFileSync('unshare', underHidepid('child.mjs', ...args), { encoding: 'utf8' });
  return { stdout };
}

test('where /proc hides other users\' processes (hidepid), another user\'s running session is still kept', (t) => {
  const dir = tempDir(t);
  // nobody may delete in it; the files stay root's.
  fs.chmodSync(dir, 0o777);
  const running = makeLog(dir, `automake_2020-01-01_${liveChildPid(t)}.log`);
  const dead = makeLog(dir, `automake_2020-01-01_${deadPid()}.log`);
  const script = [
    "import * as fs from 'node:fs';",
    "import { pruneOldLogs } from './logging.mjs';",
    'const report = pruneOldLogs(process.argv[2], { now: Number(process.argv[3]) });',
    "console.log(JSON.stringify({ uid: process.getuid(), seesPid1: fs.existsSync('/proc/1'), report }));",
  ].join('\n');
  const result = runAsNobodyUnderHidepid(t, script, [dir, String(FAR_FUTURE)]);
  if ('skip' in result) {
    t.skip(result.skip);
    return;
  }
  const { uid, seesPid1, report } = JSON.parse(result.stdout);
  // The case under test: /proc does not list every process, so it cannot be trusted.
  assert.equal(uid, 65534);
  assert.equal(seesPid1, false);
  assert.deepEqual(report, { deleted: [dead], kept: 1, errors: [], deletedBytes: LOG_BYTES, totalBytes: LOG_BYTES });
  assert.ok(fs.existsSync(running));
});

test('the dead PIDs used by these tests are beyond pid_max and within what the implementation asks the kernel about', () => {
  assert.ok(deadPid() >= pidMax());
  assert.ok(deadPid(99) <= MAX_CHECKED_PID);
});

// --- the report -----------------------------------------------------------------------

test('a missing directory gives an empty report', (t) => {
  const root = tempDir(t);
  assert.deepEqual(pruneOldLogs(path.join(root, 'nope'), { now: FAR_FUTURE }), { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 });
  assert.deepEqual(pruneOldLogs(path.join(root, 'nope', 'deeper')), { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 });
});

test('the report counts kept files and lists deleted ones by full path', (t) => {
  const dir = tempDir(t);
  makeLog(dir, `automake_2020-01-01_${process.pid}.log`);
  makeLog(dir, `automake_2020-01-02_${liveChildPid(t)}.log`);
  const old = [makeLog(dir, `automake_2020-01-03_${deadPid()}.log`), makeLog(dir, `automake_2020-01-04_${deadPid(1)}.log`)];
  makeLog(dir, 'unrelated.txt');
  // A trailing slash on the directory does not change the paths reported.
  const report = pruneOldLogs(dir + '/', { now: FAR_FUTURE });
  assert.equal(report.kept, 2);
  assert.deepEqual([...report.deleted].sort(), old.sort());
  for (const file of report.deleted) assert.ok(path.isAbsolute(file) && !file.includes('//'), file);
  assert.deepEqual(report.errors, []);
  assert.equal(fs.readdirSync(dir).length, 3);
});

/** Makes a file undeletable even for root; false when the filesystem cannot. Undo with `makeMutable`. */
function makeImmutable(file: string): boolean {
  try {
    execFileSync('chattr', ['+i', file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function makeMutable(file: string): void {
  execFileSync('chattr', ['-i', file], { stdio: 'ignore' });
}

test('a file that cannot be deleted is reported with its code and the next file is still tried', (t) => {
  const dir = tempDir(t);
  const files = [0, 1, 2, 3, 4].map((i) => makeLog(dir, `automake_2020-01-0${i + 1}_${deadPid(i)}.log`));
  const stuck = files[2];
  if (!makeImmutable(stuck)) {
    t.skip('chattr +i needs root and a filesystem that supports it; nothing else makes one unlink in a directory fail');
    return;
  }
  let report;
  try {
    report = pruneOldLogs(dir, { now: FAR_FUTURE });
  } finally {
    makeMutable(stuck);
  }
  assert.equal(report.errors.length, 1);
  assert.equal(report.errors[0].file, stuck);
  assert.equal(report.errors[0].code, 'EPERM');
  assert.ok(report.errors[0].message.length > 0);
  assert.deepEqual([...report.deleted].sort(), files.filter((f) => f !== stuck).sort());
  assert.deepEqual(fs.readdirSync(dir), [path.basename(stuck)]);
});

test('the prefix option selects which files are pruned, with "." matched literally', (t) => {
  const dir = tempDir(t);
  const pid = deadPid();
  const mine = makeLog(dir, `myapp_2020-01-01_${pid}.log`);
  const automake = makeLog(dir, `automake_2020-01-01_${pid}.log`);
  const dotted = makeLog(dir, `my.app_2020-01-01_${pid}.log`);
  const lookalike = makeLog(dir, `myXapp_2020-01-01_${pid}.log`);
  assert.deepEqual(pruneOldLogs(dir, { now: FAR_FUTURE, prefix: 'myapp' }).deleted, [mine]);
  assert.deepEqual(pruneOldLogs(dir, { now: FAR_FUTURE, prefix: 'my.app' }).deleted, [dotted]);
  assert.ok(fs.existsSync(lookalike));
  assert.deepEqual(pruneOldLogs(dir, { now: FAR_FUTURE }).deleted, [automake]);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(lookalike)]);
});

// --- the race -------------------------------------------------------------------------

const RACERS = 8;
const RACE_FILES = 2000;
const RACE_ROUNDS = 3;

async function race(t: TestContext, round: number): Promise<void> {
  const root = tempDir(t, 'automake-race-');
  const dir = path.join(root, 'logs');
  fs.mkdirSync(dir);
  const expected = new Set<string>();
  // 20 dates x 100 PIDs, every PID at or above pid_max: none can be alive.
  for (let day = 1; expected.size < RACE_FILES; day++) {
    for (let i = 0; i < 100 && expected.size < RACE_FILES; i++) {
      expected.add(makeLog(dir, `automake_2024-01-${String(day).padStart(2, '0')}_${deadPid(i)}.log`, ''));
    }
  }
  assert.equal(fs.readdirSync(dir).length, RACE_FILES);

  const results = await pruneRace(root, dir, RACERS, FAR_FUTURE);

  const seen = new Map<string, number>();
  const starts: number[] = [];
  for (const { pid, started, report } of results) {
    starts.push(started);
    assert.deepEqual(report.errors, [], `contender ${pid}`);
    for (const file of report.deleted) {
      assert.ok(expected.has(file), `an expected file: ${file}`);
      assert.ok(!seen.has(file), `${file} deleted by both ${seen.get(file)} and ${pid}`);
      seen.set(file, pid);
    }
  }
  assert.equal(seen.size, RACE_FILES, 'the deleted lists add up to every file');
  assert.deepEqual(fs.readdirSync(dir), [], 'every file is gone');
  const busy = results.filter((r) => r.report.deleted.length > 0).length;
  t.diagnostic(`round ${round}: ${busy} of ${RACERS} contenders deleted files; starts spread over ${Math.max(...starts) - Math.min(...starts)} ms`);
}

test(`${RACERS} processes pruning the same ${RACE_FILES} old files at once: none throws, each file deleted exactly once`, async (t) => {
  for (let round = 1; round <= RACE_ROUNDS; round++) await race(t, round);
});

test('parseLogFileName reads the date, PID and sequence of a session log name (plain or -N), and nothing else', () => {
  assert.deepEqual(parseLogFileName('automake_2024-07-30_12345.log'), { date: '2024-07-30', pid: 12345, sequence: 1 });
  assert.deepEqual(parseLogFileName('automake_2024-07-30_1-17.log'), { date: '2024-07-30', pid: 1, sequence: 17 });
  assert.deepEqual(parseLogFileName('my.tool_2024-07-30_7.log', 'my.tool'), { date: '2024-07-30', pid: 7, sequence: 1 });
  for (const name of ['automake_2024-07-30_1-.log', 'automake_2024-07-30_1-2-3.log', 'automake_2024-07-30_1_2.log', 'automake_2024-7-30_1.log', 'automake_2024-07-30_1.log.bak', 'xautomake_2024-07-30_1.log', 'automake_2024-07-30_abc.log', 'myXtool_2024-07-30_7.log']) {
    assert.equal(parseLogFileName(name, name.startsWith('my') ? 'my.tool' : 'automake'), undefined, name);
  }
});

test('dryRun lists what would be deleted and deletes nothing; a real prune then deletes exactly that', (t) => {
  const dir = tempDir(t);
  const ended = [makeLog(dir, `automake_2024-01-01_${deadPid(0)}.log`), makeLog(dir, `automake_2024-01-02_${deadPid(1)}.log`)];
  const ours = makeLog(dir, `automake_2024-01-01_${process.pid}.log`);
  const now = Math.max(...[...ended, ours].map(fileTimeOf)) + 2 * DAY_MS;
  const preview = pruneOldLogs(dir, { retentionDays: 1, now, dryRun: true });
  assert.deepEqual([...preview.deleted].sort(), [...ended].sort());
  assert.equal(preview.kept, 1, 'our own log is kept');
  for (const file of [...ended, ours]) assert.ok(fs.existsSync(file), `${path.basename(file)} is still there`);
  const real = pruneOldLogs(dir, { retentionDays: 1, now });
  assert.deepEqual([...real.deleted].sort(), [...preview.deleted].sort());
  assert.deepEqual(fs.readdirSync(dir), [path.basename(ours)]);
});
