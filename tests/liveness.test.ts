/**
 * Whether a session is still running (docs/design.md §3 rule 4): a process with the
 * PID in its log's name exists and, on Linux, started no later than one second
 * after the log was last written, or holds the log open. A PID reused by a
 * process that started later (a daemon after a reboot) no longer keeps an ended
 * session's log for ever; a live session's log is kept, even when a clock step
 * makes it look older than its process. The pruner, `logs show` and `logs clear`
 * judge alike.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';

import { isSessionAlive, pruneOldLogs } from '../lib/logging.ts';
import { fixture, startNode } from './helpers/child.ts';
import { runCli } from './helpers/cli.ts';
import { DAY_MS, logNames, tempDir } from './helpers/log-files.ts';

const FAR_FUTURE = Date.now() + 100 * 365 * DAY_MS;
const LONG_AGO = new Date(Date.now() - 30 * DAY_MS);
const NOT_LINUX = process.platform === 'linux' ? undefined : 'process start times are read from /proc on Linux only';

/** Starts `sleep` now, as `name` when given, and returns its PID; killed when the test ends. */
function startedNow(t: TestContext, name?: string): number {
  let command = 'sleep';
  if (name !== undefined) {
    command = path.join(tempDir(t), name);
    fs.copyFileSync(fs.realpathSync(which('sleep')), command);
    fs.chmodSync(command, 0o755);
  }
  const child = spawn(command, ['60'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(child.pid !== undefined && child.pid > 0);
  return child.pid;
}

function which(command: string): string {
  const found = (process.env.PATH ?? '').split(':').map((dir) => path.join(dir, command)).find((file) => fs.existsSync(file));
  if (found === undefined) throw new Error(`${command} is not in PATH`);
  return found;
}

/** A log named for `pid`, last written at `mtime`. */
function logLastWrittenAt(dir: string, pid: number, mtime: Date): string {
  const file = path.join(dir, `automake_2020-01-01_${pid}.log`);
  fs.writeFileSync(file, 'a record\n', { mode: 0o600 });
  fs.utimesSync(file, mtime, mtime);
  return file;
}

/** The stats of a log named for `pid` in a fresh directory, last written at `mtime`. */
function statsOfLogWrittenAt(t: TestContext, pid: number, mtime: Date): fs.Stats {
  return fs.statSync(logLastWrittenAt(tempDir(t), pid, mtime));
}

test('isSessionAlive: a process that started after the log was last written is not its session', (t) => {
  if (NOT_LINUX) return t.skip(NOT_LINUX);
  const pid = startedNow(t);
  assert.equal(isSessionAlive(pid, statsOfLogWrittenAt(t, pid, LONG_AGO)), false);
  assert.equal(isSessionAlive(pid, statsOfLogWrittenAt(t, pid, new Date())), true);
  assert.equal(isSessionAlive(pid), true, 'without the file, the PID\'s existence decides');
});

test('a command name with spaces and parentheses does not mislead the reading of /proc/PID/stat', (t) => {
  if (NOT_LINUX) return t.skip(NOT_LINUX);
  // Counted from the first ")", every later field would be off by six, and the
  // start time read would be the boot time (cutime: 0 ticks after boot).
  const pid = startedNow(t, 's) 1 2 3 4 5 6');
  assert.match(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'), /^\d+ \(s\) 1 2 3 4 5 6\) /);
  assert.equal(isSessionAlive(pid, statsOfLogWrittenAt(t, pid, new Date())), true);
  // Written ten seconds before this process started, but after the boot.
  assert.equal(isSessionAlive(pid, statsOfLogWrittenAt(t, pid, new Date(Date.now() - 10_000))), false);
});

test('the pruner deletes an old log whose PID was reused after it was last written, and keeps a live session\'s', async (t) => {
  if (NOT_LINUX) return t.skip(NOT_LINUX);
  const dir = tempDir(t);
  const reused = logLastWrittenAt(dir, startedNow(t), LONG_AGO);
  const session = startNode(fixture('scenario.ts'), ['running', dir, '10']);
  t.after(() => session.child.kill('SIGKILL'));
  const live = (JSON.parse(await session.firstLine) as { file: string }).file;
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report.deleted, [reused]);
  assert.equal(report.kept, 1);
  assert.ok(fs.existsSync(live));
});

test('logs show reports a log whose PID was reused as ended, and logs clear deletes it but not a running session\'s', async (t) => {
  if (NOT_LINUX) return t.skip(NOT_LINUX);
  const dir = tempDir(t);
  const reused = path.basename(logLastWrittenAt(dir, startedNow(t), LONG_AGO));
  const running = path.basename(logLastWrittenAt(dir, startedNow(t), new Date()));
  const show = await runCli(['logs', 'show', '--json'], { dir });
  assert.equal(show.code, 0, show.stderr);
  const statuses = Object.fromEntries((JSON.parse(show.stdout) as { file: string; status: string }[]).map((log) => [log.file, log.status]));
  assert.deepEqual(statuses, { [reused]: 'ended', [running]: 'running' });
  const clear = await runCli(['logs', 'clear', '--yes'], { dir });
  assert.equal(clear.code, 0, clear.stderr);
  const left = logNames(dir);
  assert.ok(!left.includes(reused), 'the reused PID\'s log is deleted');
  assert.ok(left.includes(running), 'the running session\'s log is kept');
});

test('a running session whose log looks older than its process (a clock stepped forward) is kept: it holds the log open', async (t) => {
  if (NOT_LINUX) return t.skip(NOT_LINUX);
  const dir = tempDir(t);
  const session = startNode(fixture('scenario.ts'), ['running', dir, '10']);
  t.after(() => session.child.kill('SIGKILL'));
  const live = (JSON.parse(await session.firstLine) as { file: string }).file;
  // As if the wall clock had jumped a month ahead since the session last wrote.
  fs.utimesSync(live, LONG_AGO, LONG_AGO);
  assert.equal(isSessionAlive(session.pid, fs.statSync(live)), true);
  const report = pruneOldLogs(dir, { now: FAR_FUTURE });
  assert.deepEqual(report, { deleted: [], kept: 1, errors: [], deletedBytes: 0, totalBytes: fs.statSync(live).size });
});
