/**
 * `automake logs …`: listing, viewing, following, pruning and clearing session
 * logs, against real sessions run by the command line itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { RunningChild } from './helpers/child.ts';
import { HAS_SCRIPT, numberedLines, runCli, startCli, startCliOnTerminal, waitUntil } from './helpers/cli.ts';
import { DAY_MS, localDate, logNames, logOf, plantEndedLog, tempDir } from './helpers/log-files.ts';
import { DATE } from './helpers/records.ts';

interface ListedLog {
  file: string;
  path: string;
  pid: number;
  date: string;
  bytes: number;
  started: string;
  ageSeconds: number;
  status: string;
  command: string | null;
  exitCode: number | null;
  signal: string | null;
  sizeLimitReached: boolean;
  pruneDue: string | null;
}


async function listLogs(dir: string): Promise<ListedLog[]> {
  const result = await runCli(['logs', 'show', '--json'], { dir });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ListedLog[];
}

/** Runs `exec -- echo <text>` to its end and returns its PID: a real ended session. */
async function endedSession(dir: string, text: string): Promise<number> {
  const running = startCli(['exec', '--', 'echo', text], { dir });
  running.child.stdin.end();
  const result = await running.done;
  assert.equal(result.code, 0, result.stderr);
  return running.pid;
}

// Prints `ready`, then waits for the end of its stdin.
const LIVE_SCRIPT = 'echo ready; exec cat >/dev/null';

/** Starts `exec` of a command that runs until the test ends, once its log is written: a live session. */
async function liveSession(t: TestContext, dir: string): Promise<RunningChild> {
  // The command runs until its stdin (the test's pipe, which exec passes on) is
  // closed, however long a loaded machine makes the test; closing it ends the
  // command even when the test has killed the command line, so nothing outlives the test.
  const running = startCli(['exec', '--', 'sh', '-c', LIVE_SCRIPT], { dir, timeoutMs: 300_000 });
  t.after(() => {
    running.child.stdin.end();
    running.child.kill('SIGKILL');
  });
  await running.waitForStdout('ready\n');
  return running;
}

const AGE_COLUMN = 4;

/** Each line of `logs show`'s output cut into its cells (on the two-space gutter), with the AGE as `Ns`. */
function tableCells(output: string): string[][] {
  return output.split('\n').map((line) => line.split(/ {2,}/).map((cell, column) => (column === AGE_COLUMN ? cell.replace(/^\d+s$/, 'Ns') : cell)));
}

/** Asserts every row lines up under the header: a left-aligned cell starts where its header starts, a right-aligned one ends where it ends. */
function assertColumnsAligned([header, ...rows]: string[], rightAligned: ReadonlySet<number>): void {
  const spans = (line: string) => [...line.matchAll(/\S+(?: \S+)*/g)].map((match) => ({ start: match.index, end: match.index + match[0].length }));
  const columns = spans(header);
  for (const row of rows) {
    const cells = spans(row);
    assert.equal(cells.length, columns.length, `one cell a column: ${JSON.stringify(row)}`);
    cells.forEach((cell, column) => {
      const edge = rightAligned.has(column) ? 'end' : 'start';
      assert.equal(cell[edge], columns[column][edge], `column ${column} lines up in ${JSON.stringify(row)}`);
    });
  }
}

describe('logs', { concurrency: true }, () => {
  test('logs show --json lists the sessions newest first with PID, size, status, command, exit code and when they are due for pruning', async (t) => {
    const dir = tempDir(t);
    const older = await endedSession(dir, 'one');
    await delay(20);
    const newer = await endedSession(dir, 'two');
    const logs = await listLogs(dir);
    assert.deepEqual(logs.map((log) => log.pid), [newer, older]);
    assert.deepEqual(logs.map((log) => log.command), ['automake exec -- echo two', 'automake exec -- echo one']);
    for (const log of logs) {
      const stats = fs.statSync(log.path);
      assert.equal(log.path, logOf(dir, log.pid));
      assert.equal(log.file, path.basename(log.path));
      assert.equal(log.bytes, stats.size);
      assert.equal(log.status, 'ended');
      assert.equal(log.exitCode, 0);
      assert.equal(log.signal, null);
      assert.equal(log.sizeLimitReached, false);
      assert.equal(Date.parse(log.pruneDue!) - Date.parse(log.started), 7 * DAY_MS);
      assert.ok(log.ageSeconds >= 0 && log.ageSeconds < 60);
    }
  });

  test('logs show prints a table, and plain logs is the same', async (t) => {
    const dir = tempDir(t);
    const pid = await endedSession(dir, 'hello');
    // One after the other: each would list the other, running, as a session too.
    const show = await runCli(['logs', 'show'], { dir });
    const plain = await runCli(['logs'], { dir });
    assert.equal(show.code, 0);
    const lines = show.stdout.split('\n');
    // The heading gives the total against the budget (§6): the ended session's log, ours still empty.
    const { size } = fs.statSync(logOf(dir, pid));
    assert.ok(lines[0].startsWith(`Session logs in ${dir}, newest first (${size} B in all, of a `), lines[0]);
    assert.match(lines[0], / budget\):$/);
    assert.match(lines[2], /^FILE +PID +STARTED +SIZE +AGE +STATUS +PRUNED +COMMAND$/);
    assert.match(lines[3], new RegExp(`^${path.basename(logOf(dir, pid))} +${pid} +${DATE} \\d{2}:\\d{2} +\\d+ B +\\d+s +exit 0 +in 6d 23h +automake exec -- echo hello$`));
    // Cell by cell, since the AGE cell ticks between the two runs and its width
    // (9s, 10s) moves the padding after it; the padding is checked on its own.
    assert.deepEqual(tableCells(plain.stdout), tableCells(show.stdout));
    for (const output of [show, plain]) assertColumnsAligned(output.stdout.split('\n').slice(2, -1), new Set([1, 3]));
  });

  test('logs show on an empty directory says so, and --json prints an empty array', async (t) => {
    const dir = tempDir(t);
    // One after the other: run together, each would list the other's live log.
    const table = await runCli(['logs', 'show'], { dir });
    const json = await runCli(['logs', 'show', '--json'], { dir });
    assert.equal(table.stdout, `No session logs in ${dir}\n`);
    assert.deepEqual(JSON.parse(json.stdout), []);
  });

  test('a live exec session is shown as running, and as ended once it is over', async (t) => {
    const dir = tempDir(t);
    const live = await liveSession(t, dir);
    const whileRunning = await listLogs(dir);
    assert.deepEqual(whileRunning.map((log) => [log.pid, log.status]), [[live.pid, 'running']]);
    live.child.kill('SIGTERM');
    await live.done;
    const afterwards = await listLogs(dir);
    assert.deepEqual(afterwards.map((log) => [log.pid, log.status]), [[live.pid, 'ended']]);
  });

  test('logs view -n N prints the last N lines bare, found by PID, by name or by path', async (t) => {
    const dir = tempDir(t);
    const file = plantEndedLog(dir, numberedLines(100));
    const pid = path.basename(file).match(/_(\d+)\.log$/)![1];
    const results = await Promise.all([
      runCli(['logs', 'view', '-n', '3', pid], { dir }),
      runCli(['logs', 'view', path.basename(file), '--lines', '3'], { dir }),
      runCli(['logs', 'view', '-n3', file], { dir }),
    ]);
    for (const result of results) {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'line 98\nline 99\nline 100\n');
    }
  });

  test('logs view prints 50 lines by default, all of a shorter file, and none for -n 0', async (t) => {
    const dir = tempDir(t);
    const long = plantEndedLog(dir, numberedLines(120));
    const short = plantEndedLog(dir, 'only\ntwo lines without a newline');
    const [fifty, all, none] = await Promise.all([
      runCli(['logs', 'view', long], { dir }),
      runCli(['logs', 'view', short], { dir }),
      runCli(['logs', 'view', '-n', '0', long], { dir }),
    ]);
    assert.equal(fifty.stdout, numberedLines(120).split('\n').slice(70).join('\n'));
    // The last line of an ended session, torn without its newline, is shown, ended as a line.
    assert.equal(all.stdout, 'only\ntwo lines without a newline\n');
    assert.equal(none.stdout, '');
  });

  test('logs view without a target shows the newest session log other than its own', async (t) => {
    const dir = tempDir(t);
    await endedSession(dir, 'first session');
    await delay(20);
    await endedSession(dir, 'second session');
    const result = await runCli(['logs', 'view', '-n', '3'], { dir });
    assert.equal(result.code, 0);
    const lines = result.stdout.split('\n');
    assert.match(lines[0], / - automake\.exec\.stdout - INFO - second session$/);
    assert.match(lines[1], / - automake\.exec - INFO - Command exited with code 0 /);
    assert.match(lines[2], / - automake - INFO - Session ended exitCode=0 /);
  });

  test('logs view -f prints a line appended after it started, and stops when the file is deleted', async (t) => {
    const dir = tempDir(t);
    // Named after a live process (this test's), so that following does not end with its session.
    const file = logOf(dir, process.pid);
    fs.writeFileSync(file, numberedLines(5), { mode: 0o600 });
    const follower = startCli(['logs', 'view', '-f', '-n', '1', path.basename(file)], { dir });
    t.after(() => follower.child.kill('SIGKILL'));
    await follower.waitForStdout('line 5\n');
    fs.appendFileSync(file, 'appended later\n');
    await follower.waitForStdout('appended later\n');
    fs.unlinkSync(file);
    const result = await follower.done;
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'line 5\nappended later\n');
    assert.equal(result.stderr, `automake: Stopped following: ${path.basename(file)} was deleted\n`);
  });

  test('logs view -f follows a live session and stops at Ctrl-C', async (t) => {
    const dir = tempDir(t);
    const live = await liveSession(t, dir);
    const follower = startCli(['logs', 'view', '-f', String(live.pid)], { dir, timeoutMs: 300_000 });
    t.after(() => follower.child.kill('SIGKILL'));
    await follower.waitForStdout('automake.exec.stdout - INFO - ready\n');
    // While the session still runs: once it ends, the follower ends by itself.
    follower.child.kill('SIGINT');
    const result = await follower.done;
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    assert.equal(live.child.exitCode, null, 'the followed session was still running');
  });

  test('logs prune --dry-run lists what it would delete and deletes nothing', async (t) => {
    const dir = tempDir(t);
    const old = plantEndedLog(dir, 'old\n');
    await delay(300);
    const result = await runCli(['logs', 'prune', '--dry-run', '--retention-days', '0.000001'], { dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^Would delete ${path.basename(old)}$`, 'm'));
    assert.match(result.stdout, /^Dry run: would delete 1 session log older than 0.000001 days; 0 kept$/m);
    assert.ok(fs.existsSync(old));
  });

  test('logs prune deletes old logs of ended sessions and spares a running session\'s and newer ones', async (t) => {
    const dir = tempDir(t);
    const live = await liveSession(t, dir);
    const old = plantEndedLog(dir, 'old\n');
    await delay(7000);
    const recent = plantEndedLog(dir, 'recent\n');
    // Four seconds: `old` and the live session's log are older, and `recent` is
    // younger as long as the prune starts within four seconds on a loaded machine.
    const result = await runCli(['logs', 'prune', '--retention-days', String(4 / 86400)], { dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.match(/^Deleted \S+$/gm), [`Deleted ${path.basename(old)}`]);
    assert.ok(!fs.existsSync(old));
    assert.ok(fs.existsSync(recent));
    assert.ok(fs.existsSync(logOf(dir, live.pid)), 'the running session\'s log is kept');
  });

  test('logs clear refuses without --yes when stdin is not a terminal', async (t) => {
    const dir = tempDir(t);
    const ended = plantEndedLog(dir, 'ended\n');
    const result = await runCli(['logs', 'clear'], { dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^automake: Refusing to delete 1 log of ended sessions \(6 B\) without --yes: stdin is not a terminal\nUsage: automake logs clear/);
    assert.ok(fs.existsSync(ended));
  });

  test('logs clear --yes deletes the logs of ended sessions and spares a running session\'s', async (t) => {
    const dir = tempDir(t);
    const live = await liveSession(t, dir);
    const endedPid = await endedSession(dir, 'over');
    const planted = plantEndedLog(dir, 'ended\n');
    const result = await runCli(['logs', 'clear', '--yes'], { dir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Deleted 2 logs of ended sessions$/m);
    assert.ok(!fs.existsSync(logOf(dir, endedPid)));
    assert.ok(!fs.existsSync(planted));
    assert.ok(fs.existsSync(logOf(dir, live.pid)));
    // The clear logged its deletions at INFO only, so its own log goes too (docs/design.md §10 "No clutter").
    assert.deepEqual(logNames(dir), [path.basename(logOf(dir, live.pid))]);
  });

  test('logs clear on a terminal lists the logs and deletes them only after "y"', { skip: !HAS_SCRIPT && 'needs util-linux script' }, async (t) => {
    const dir = tempDir(t);
    const ended = plantEndedLog(dir, 'ended\n');
    const ask = async (answer: string) => {
      const running = startCliOnTerminal(['logs', 'clear'], { dir });
      await running.waitForStdout('[y/N]');
      running.child.stdin.end(answer);
      return (await running.done).stdout;
    };
    const declined = await ask('n\r');
    assert.ok(declined.includes(path.basename(ended)), 'the log is listed');
    assert.match(declined, /Nothing deleted/);
    assert.ok(fs.existsSync(ended));
    const accepted = await ask('y\r');
    assert.match(accepted, /Deleted 1 log of ended sessions/);
    assert.ok(!fs.existsSync(ended));
  });

  test('a symlink named like a log is never followed, read or deleted', async (t) => {
    const dir = tempDir(t);
    const secretDir = tempDir(t);
    const secret = path.join(secretDir, 'secret.txt');
    fs.writeFileSync(secret, 'the secret\n');
    const name = `automake_${localDate()}_4194304.log`;
    fs.symlinkSync(secret, path.join(dir, name));
    const view = await runCli(['logs', 'view', name], { dir });
    assert.equal(view.code, 2);
    assert.ok(!view.stdout.includes('the secret'));
    const clear = await runCli(['logs', 'clear', '--yes'], { dir });
    assert.equal(clear.code, 0);
    assert.ok(fs.lstatSync(path.join(dir, name)).isSymbolicLink(), 'the symlink is still there');
    assert.equal(fs.readFileSync(secret, 'utf8'), 'the secret\n');
  });

  test('concurrent sessions each get their own log, all listed, each viewable by PID', async (t) => {
    const dir = tempDir(t);
    const pids = await Promise.all(['alpha', 'beta', 'gamma'].map((word) => endedSession(dir, word)));
    await waitUntil(() => logNames(dir).length === 3, 5000, 'three logs');
    const listed = await listLogs(dir);
    assert.deepEqual(listed.map((log) => log.pid).sort(), [...pids].sort());
    const views = await Promise.all(pids.map((pid) => runCli(['logs', 'view', String(pid)], { dir })));
    ['alpha', 'beta', 'gamma'].forEach((word, i) => {
      assert.match(views[i].stdout, new RegExp(` - automake\\.exec\\.stdout - INFO - ${word}\\n`));
      assert.equal(views[i].stdout.match(/stdout - INFO/g)!.length, 1, 'only that session\'s output');
    });
  });
});
