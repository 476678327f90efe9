/**
 * `automake logs view` as one view of all sessions (docs/design.md §10): --all
 * merges real sessions, started concurrently, by time; --level, --since,
 * --until, --grep, -n and --json, alone and combined; -f that ends with its
 * session and picks up new ones; colour on a terminal only; bad arguments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningChild } from './helpers/child.ts';
import { HAS_SCRIPT, runCli, startCli, startCliOnTerminal } from './helpers/cli.ts';
import { endedPid, logOf, tempDir } from './helpers/log-files.ts';
import { RECORD_START } from './helpers/records.ts';

const ESC = '\x1b';

/** `YYYY-MM-DD HH:MM:SS,mmm` of `ms` in local time, as the text format writes it. */
function stamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** A planted log of an ended session, in the text format, one record per `[time, level, message]`. */
function plantRecords(dir: string, records: [number, string, string][]): { file: string; pid: number } {
  const pid = endedPid();
  const file = logOf(dir, pid);
  fs.writeFileSync(file, records.map(([time, level, message]) => `${stamp(time)} - automake - ${level} - ${message}\n`).join(''), { mode: 0o600 });
  return { file, pid };
}

/** A record's time: the text timestamp (local) or the JSON `time`. */
function timeOf(line: string): number {
  const text = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3}) /.exec(line);
  if (text !== null) {
    const [year, month, day, hour, minute, second, ms] = text.slice(1).map(Number);
    return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
  }
  return (JSON.parse(line) as { time: number }).time;
}

/** The records of a merged view: its first lines without the PID that leads them, and that PID. */
function mergedRecords(stdout: string): { pid: number; line: string }[] {
  const records: { pid: number; line: string }[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const led = /^ *(\d+) (\S.*)$/.exec(line);
    if (led !== null) records.push({ pid: Number(led[1]), line: led[2] });
    else assert.match(line, /^ +    /, `a continuation line stays indented under its record: ${JSON.stringify(line)}`);
  }
  return records;
}

/** The first lines of the records in a log file (text record starts, or JSON lines). */
function fileRecords(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((line) => RECORD_START.test(line) || line.startsWith('{'));
}

describe('logs view over concurrent sessions', () => {
  const dir = tempDir({ after: (fn) => process.on('exit', fn) });
  const sessions: { pid: number; file: string; word: string }[] = [];

  before(async () => {
    // Three sessions at once, one in the JSON format, their lines interleaving in time.
    const runs = ['alpha', 'beta', 'gamma'].map((word, i) => {
      const script = `for i in 1 2 3 4 5 6; do echo "${word} $i"; sleep 0.1; done; echo "${word} trouble" >&2; exit ${i}`;
      const running = startCli(['exec', '--', 'sh', '-c', script], { dir, env: i === 1 ? { AUTOMAKE_LOG_FORMAT: 'json' } : {} });
      running.child.stdin.end();
      return { running, word };
    });
    for (const { running, word } of runs) {
      const result = await running.done;
      assert.equal(result.signal, null, result.stderr);
      sessions.push({ pid: running.pid, file: logOf(dir, running.pid), word });
    }
    // And one that failed to start: an ERROR record.
    const failed = await runCli(['exec', '--', 'no-such-command-for-the-test'], { dir });
    assert.equal(failed.code, 127);
  });

  test('--all merges every session by time, each record led by its session\'s PID, and interleaves them', async () => {
    const result = await runCli(['logs', 'view', '--all', '-n', '1000'], { dir });
    assert.equal(result.code, 0, result.stderr);
    const records = mergedRecords(result.stdout);
    const times = records.map((record) => timeOf(record.line));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] >= times[i - 1], `in time order at ${i}: ${records[i - 1].line} / ${records[i].line}`);
    // Every record of every file, each once, led by its own session's PID.
    const files = fs.readdirSync(dir).map((name) => path.join(dir, name));
    const expected = files.flatMap((file) => fileRecords(file).map((line) => `${/_(\d+)\.log$/.exec(file)![1]} ${line}`)).sort();
    assert.deepEqual(records.map((record) => `${record.pid} ${record.line}`).sort(), expected);
    // The three sessions' output lines alternate: merged, not concatenated.
    const owners = records.filter((record) => /(alpha|beta|gamma) \d/.test(record.line)).map((record) => record.pid);
    const switches = owners.filter((pid, i) => i > 0 && pid !== owners[i - 1]).length;
    assert.ok(switches >= 6, `sessions interleave: ${switches} switches in ${owners.join(' ')}`);
  });

  test('-n N over all sessions is the last N records of the merge', async () => {
    // One after another: each would see the other's own log, with records newer than all others.
    const all = await runCli(['logs', 'view', '--all', '-n', '1000'], { dir });
    const last = await runCli(['logs', 'view', '--all', '-n', '5'], { dir });
    assert.deepEqual(mergedRecords(last.stdout), mergedRecords(all.stdout).slice(-5));
  });

  test('--level keeps that level and above, from text and JSON logs alike', async () => {
    const result = await runCli(['logs', 'view', '--all', '--level', 'warning', '--json', '-n', '1000'], { dir });
    assert.equal(result.code, 0, result.stderr);
    const objects = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string; pid: number });
    assert.ok(objects.every((object) => object.level >= 40), 'WARNING (40) and above only');
    for (const { word, pid } of sessions) {
      assert.ok(objects.some((object) => object.msg === `${word} trouble` && object.pid === pid), `${word}'s stderr line, a WARNING`);
    }
    const errors = await runCli(['logs', 'view', '--all', '--level', 'ERROR'], { dir });
    const lines = mergedRecords(errors.stdout);
    assert.equal(lines.length, 1, errors.stdout);
    assert.match(lines[0].line, / - automake\.exec - ERROR - Cannot run no-such-command-for-the-test: command not found /);
  });

  test('--grep is a case-insensitive regular expression on the whole record', async () => {
    const result = await runCli(['logs', 'view', '--all', '--grep', 'ALPHA [24]$'], { dir });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(mergedRecords(result.stdout).map((record) => record.line.replace(/^.* - /, '')), ['alpha 2', 'alpha 4']);
  });

  test('filters combine: --level, --grep and -n together, on all sessions or on one', async () => {
    const all = await runCli(['logs', 'view', '--all', '--level', 'warning', '--grep', 'trouble|exited', '-n', '2'], { dir });
    const records = mergedRecords(all.stdout);
    assert.equal(records.length, 2, all.stdout);
    assert.ok(records.every((record) => /WARNING/.test(record.line) || /"level":40/.test(record.line)), all.stdout);
    const beta = sessions[1];
    const one = await runCli(['logs', 'view', String(beta.pid), '--level', 'info', '--grep', 'beta [56]', '--json'], { dir });
    assert.deepEqual(one.stdout.trimEnd().split('\n').map((line) => JSON.parse(line).msg), ['beta 5', 'beta 6']);
  });

  test('--json prints one pino-shaped object per record, whichever format the log is in', async () => {
    const result = await runCli(['logs', 'view', '--all', '--json', '-n', '1000'], { dir });
    assert.equal(result.code, 0, result.stderr);
    const objects = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const object of objects) {
      assert.equal(typeof object.level, 'number');
      assert.equal(typeof object.time, 'number');
      assert.equal(typeof object.pid, 'number');
      assert.equal(typeof object.name, 'string');
      assert.equal(typeof object.msg, 'string');
    }
    // From the text log: fields parsed back to their types.
    const [alpha, beta] = sessions;
    const alphaEnd = objects.find((object) => object.pid === alpha.pid && String(object.msg).startsWith('Command exited'))!;
    assert.deepEqual([alphaEnd.level, alphaEnd.name, alphaEnd.exitCode], [30, 'automake.exec', 0]);
    // From the JSON log: the records as they are in the file.
    const inFile = fs.readFileSync(beta.file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(objects.filter((object) => object.pid === beta.pid), inFile);
  });

  test('logs show says what each session ran and how it ended: the exec\'d command\'s exit code', async () => {
    const result = await runCli(['logs', 'show', '--json'], { dir });
    const listed = JSON.parse(result.stdout) as { pid: number; status: string; exitCode: number | null; command: string }[];
    sessions.forEach(({ pid, word }, i) => {
      const entry = listed.find((log) => log.pid === pid)!;
      assert.deepEqual([entry.status, entry.exitCode], ['ended', i], `${word} exited ${i}`);
      assert.match(entry.command, new RegExp(`^automake exec -- sh -c 'for i in .*${word}`));
    });
    const table = await runCli(['logs', 'show'], { dir });
    assert.match(table.stdout, new RegExp(`^\\S+ +${sessions[2].pid} .* exit 2 .* automake exec -- sh -c`, 'm'));
  });

  test('one session, by PID, shows only its own records, unled', async () => {
    const gamma = sessions[2];
    const result = await runCli(['logs', 'view', String(gamma.pid), '-n', '1000'], { dir });
    assert.deepEqual(result.stdout.trimEnd().split('\n'), fileRecords(gamma.file));
  });
});

describe('logs view --since and --until', () => {
  test('absolute local times and times ago pick the records between them, bounds included', async (t) => {
    const dir = tempDir(t);
    const base = new Date(2026, 0, 1, 10, 0, 0).getTime();
    plantRecords(dir, [[base, 'INFO', 'at 10:00:00'], [base + 5000, 'INFO', 'at 10:00:05'], [base + 10_000, 'ERROR', 'at 10:00:10'], [base + 15_000, 'INFO', 'at 10:00:15']]);
    const now = Date.now();
    plantRecords(dir, [[now - 20 * 60_000, 'INFO', '20 minutes ago'], [now - 5 * 60_000, 'INFO', '5 minutes ago']]);
    const messages = (stdout: string) => mergedRecords(stdout).map((record) => record.line.replace(/^.* - /, ''));
    // One after another: --all shows every session's log, and the log of a `logs view`
    // running at the same moment is a session's log with recent records.
    const view = (...args: string[]) => runCli(['logs', 'view', '--all', ...args], { dir });
    const range = await view('--since', '2026-01-01 10:00:05', '--until', '2026-01-01 10:00:10');
    const since = await view('--since', '2026-01-01 10:00:11', '--until', '2026-01-02');
    const ago = await view('--since', '10m');
    const combined = await view('--until', '2026-01-01 10:01', '--level', 'error');
    const day = await view('--since', '2026-01-01', '-n', '1');
    const lastBefore = await view('--until', '2026-01-01 10:00:10', '-n', '1');
    assert.deepEqual(messages(range.stdout), ['at 10:00:05', 'at 10:00:10']);
    assert.deepEqual(messages(since.stdout), ['at 10:00:15']);
    assert.deepEqual(messages(ago.stdout), ['5 minutes ago']);
    assert.deepEqual(messages(combined.stdout), ['at 10:00:10']);
    assert.deepEqual(messages(day.stdout), ['5 minutes ago']);
    assert.deepEqual(messages(lastBefore.stdout), ['at 10:00:10'], 'the last record up to the bound');
  });

  test('-n counts records, each with its continuation lines', async (t) => {
    const dir = tempDir(t);
    const { pid } = plantRecords(dir, [
      [Date.now() - 3000, 'INFO', 'first'],
      [Date.now() - 2000, 'ERROR', 'failed\n    Error: boom\n        at main (/app.ts:1:1)'],
      [Date.now() - 1000, 'INFO', 'last'],
    ]);
    const result = await runCli(['logs', 'view', String(pid), '-n', '2'], { dir });
    assert.equal(result.stdout.replace(/^\S+ \S+ /gm, ''), '- automake - ERROR - failed\n    Error: boom\n        at main (/app.ts:1:1)\n- automake - INFO - last\n');
  });
});

/** A live exec session of `script` (which prints `ready` first) and `logs view -f` following it, once it has shown that line. */
async function followLive(t: TestContext, dir: string, script: string): Promise<{ live: RunningChild; follower: RunningChild }> {
  const live = startCli(['exec', '--', 'sh', '-c', script], { dir });
  // Closing its stdin ends a script that waits on it, even once the command line is killed.
  t.after(() => {
    live.child.stdin.end();
    live.child.kill('SIGKILL');
  });
  await live.waitForStdout('ready\n');
  const follower = startCli(['logs', 'view', '-f', String(live.pid)], { dir });
  t.after(() => follower.child.kill('SIGKILL'));
  await follower.waitForStdout('INFO - ready\n');
  return { live, follower };
}

describe('logs view -f', () => {
  test('following one session ends, exit 0, once the session has ended and its log is read to the end', async (t) => {
    const dir = tempDir(t);
    // Runs until its stdin (the test's pipe) is closed.
    const { live, follower } = await followLive(t, dir, 'echo ready; read line; echo "got $line"');
    live.child.stdin.end('bye\n');
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines.at(-3)!, / - automake\.exec\.stdout - INFO - got bye$/);
    assert.match(lines.at(-1)!, / - automake - INFO - Session ended exitCode=0 /, 'the end record is the last thing shown');
  });

  test('following a session whose process dies without an end record (SIGKILL) ends too', async (t) => {
    const dir = tempDir(t);
    const { live, follower } = await followLive(t, dir, 'echo ready; exec cat >/dev/null');
    live.child.kill('SIGKILL');
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /Session ended/);
    const table = await runCli(['logs', 'show'], { dir });
    assert.match(table.stdout, new RegExp(`^\\S+ +${live.pid} .* no end record +in 6d 23h +automake exec -- sh -c 'echo ready; exec cat >/dev/null'$`, 'm'));
  });

  test('--all -f picks up a session that starts after it, led by that session\'s PID', async (t) => {
    const dir = tempDir(t);
    plantRecords(dir, [[Date.now(), 'INFO', 'an earlier session']]);
    const follower = startCli(['logs', 'view', '--all', '-f', '-n', '0'], { dir });
    t.after(() => follower.child.kill('SIGKILL'));
    // The follower has started once its own log is in the directory.
    const start = Date.now();
    while (fs.readdirSync(dir).length < 2 && Date.now() - start < 15_000) await new Promise((resolve) => setTimeout(resolve, 50));
    const newcomer = startCli(['exec', '--', 'echo', 'newcomer says hi'], { dir });
    newcomer.child.stdin.end();
    await newcomer.done;
    await follower.waitForStdout('newcomer says hi\n');
    follower.child.kill('SIGINT');
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    const line = mergedRecords(result.stdout).find((record) => record.line.endsWith('newcomer says hi'))!;
    assert.equal(line.pid, newcomer.pid);
    assert.doesNotMatch(result.stdout, /an earlier session/, '-n 0: nothing from before');
  });
});

describe('logs view output', () => {
  const ERROR_LINE = 'failed hard';

  function plantMixed(dir: string): number {
    return plantRecords(dir, [[Date.now() - 2000, 'WARNING', 'careful'], [Date.now() - 1000, 'ERROR', ERROR_LINE], [Date.now(), 'INFO', `raw ${ESC}[2J escape`]]).pid;
  }

  test('colour: levels and sessions with FORCE_COLOR, none through a pipe or with NO_COLOR', async (t) => {
    const dir = tempDir(t);
    plantMixed(dir);
    const [forced, piped, off] = await Promise.all([
      runCli(['logs', 'view', '--all'], { dir, env: { FORCE_COLOR: '1', NO_COLOR: undefined } }),
      runCli(['logs', 'view', '--all'], { dir, env: { FORCE_COLOR: undefined, NO_COLOR: undefined } }),
      runCli(['logs', 'view', '--all'], { dir, env: { FORCE_COLOR: undefined, NO_COLOR: '1' } }),
    ]);
    assert.match(forced.stdout, new RegExp(` - ${ESC}\\[33mWARNING${ESC}\\[0m - careful`), 'WARNING in yellow');
    assert.match(forced.stdout, new RegExp(` - ${ESC}\\[31mERROR${ESC}\\[0m - ${ERROR_LINE}`), 'ERROR in red');
    assert.match(forced.stdout, new RegExp(`^${ESC}\\[3\\dm *\\d+${ESC}\\[0m `, 'm'), 'the session\'s PID in its colour');
    for (const plain of [piped, off]) assert.ok(!plain.stdout.includes(ESC), JSON.stringify(plain.stdout));
  });

  test('colour on a terminal by itself, and never a raw control character from the file', { skip: !HAS_SCRIPT && 'needs util-linux script' }, async (t) => {
    const dir = tempDir(t);
    plantMixed(dir);
    const [terminal, quiet] = [
      startCliOnTerminal(['logs', 'view'], { dir, env: { FORCE_COLOR: undefined, NO_COLOR: undefined, TERM: 'xterm' } }),
      startCliOnTerminal(['logs', 'view'], { dir, env: { FORCE_COLOR: undefined, NO_COLOR: '1', TERM: 'xterm' } }),
    ];
    const [shown, plain] = [await terminal.done, await quiet.done];
    assert.match(shown.stdout, new RegExp(`${ESC}\\[31mERROR${ESC}\\[0m`), 'coloured on a terminal');
    assert.ok(!plain.stdout.includes(ESC), 'NO_COLOR turns it off');
    for (const output of [shown.stdout, plain.stdout]) {
      assert.ok(output.includes('raw \\x1b[2J escape'), 'the file\'s ESC shown escaped');
      assert.ok(!output.includes(`${ESC}[2J`), 'and never raw');
    }
  });
});

describe('logs view of a very large record', () => {
  // Reading is linear (docs/design.md §10): a record many times a read's size is
  // read in chunks and joined once. Its timing is in scripts/bench-view.ts --large.
  const BIG = 50 * 1024 * 1024;

  test('a 50 MB single-line record is shown whole, with the records around it, last N and as JSON', async (t) => {
    const dir = tempDir(t);
    const big = 'x'.repeat(BIG - 10) + ' tail=end';
    const now = Date.now();
    const { pid } = plantRecords(dir, [[now - 3000, 'INFO', 'before'], [now - 2000, 'WARNING', big], [now - 1000, 'INFO', 'after']]);
    const last = await runCli(['logs', 'view', String(pid), '-n', '2'], { dir, timeoutMs: 120_000 });
    assert.equal(last.code, 0, last.stderr);
    const lines = last.stdout.split('\n');
    assert.equal(lines.length, 3, 'two records and the final newline');
    assert.ok(lines[0].endsWith(` - automake - WARNING - ${big}`), 'the large record whole');
    assert.equal(lines[0].length, '2026-01-01 00:00:00,000 - automake - WARNING - '.length + big.length, 'and nothing else');
    assert.match(lines[1], / - automake - INFO - after$/);
    const json = await runCli(['logs', 'view', String(pid), '--since', '1h', '--json'], { dir, timeoutMs: 120_000 });
    assert.equal(json.code, 0, json.stderr);
    const records = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { msg: string; tail?: string });
    assert.deepEqual(records.map((record) => record.msg.length), [6, big.length - ' tail=end'.length, 5]);
    assert.equal(records[1].tail, 'end', 'its fields read back from the end of the line');
  });
});

describe('logs view arguments', () => {
  const BAD = [
    [['--since', 'yesterday-ish'], '--since: yesterday-ish'],
    [['--until', '2026-02-30'], '--until: 2026-02-30'],
    [['--level', 'loud'], '--level: loud'],
    [['--grep', '(unclosed'], '--grep: (unclosed'],
    [['-n', '-3'], '-n: -3'],
    [['--all', '12345'], '12345'],
  ] as const;
  for (const [args, named] of BAD) {
    test(`logs view ${args.join(' ')} exits 2 with a one-line error naming it, and the usage`, async (t) => {
      const dir = tempDir(t);
      const result = await runCli(['logs', 'view', ...args], { dir });
      assert.equal(result.code, 2);
      const [first, usage] = result.stderr.split('\n');
      assert.ok(first.startsWith('automake: ') && first.includes(named), first);
      assert.match(usage, /^Usage: automake logs view /);
    });
  }

  test('without a target, logs view shows the newest session that is not a logs command', async (t) => {
    const dir = tempDir(t);
    const exec = await runCli(['exec', '--', 'echo', 'the work'], { dir });
    assert.equal(exec.code, 0);
    // A logs command that warned keeps its log: newer, but not what one means to read.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const kept = await runCli(['logs', 'show'], { dir, env: { AUTOMAKE_LOG_LEVEL: 'bogus' } });
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(fs.readdirSync(dir).length, 2, 'the warning kept the show\'s log');
    const result = await runCli(['logs', 'view', '-n', '1000'], { dir });
    assert.match(result.stdout, / - automake\.exec\.stdout - INFO - the work$/m);
  });
});
