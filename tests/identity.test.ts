/**
 * Session identity across containers, hosts and time (docs/design.md §12): no
 * session writes into a file it did not create, and no session's running log is
 * deleted, however PIDs repeat. Containers are real PID namespaces (`unshare
 * --pid --fork --mount-proc`, which needs root: the tests skip, saying why,
 * where it is refused); their main process is PID 1, as in most containers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';

import { isSessionRunning, pruneOldLogs } from '../lib/logging.ts';
import { fixture, nodeArgv, ROOT, startChild, type RunningChild } from './helpers/child.ts';
import { cliArgv, cliEnv, runCli, startCli, waitUntil } from './helpers/cli.ts';
import { DAY_MS, deadPid, endLine, headerLine, localDate, tempDir, thisPlace, type Place } from './helpers/log-files.ts';
import { END_RECORD, fileLines, HEADER_RECORD, sequenceOf, sequenceProblem } from './helpers/records.ts';

const SESSION = fixture('identity-session.ts');
// --kill-child: when the test kills unshare, the namespace's PID 1 dies with it.
const CONTAINER = ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc'];
const NO_NAMESPACES = (() => {
  if (process.platform !== 'linux') return 'PID namespaces are Linux\'s';
  const probe = spawnSync(CONTAINER[0], [...CONTAINER.slice(1), 'true'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `unshare --pid is refused here (root is needed): ${(probe.stderr || String(probe.error)).trim()}`;
})();
// Another container's PID namespace, as its sessions' headers name it.
const ELSEWHERE: Place = { ...thisPlace(), pidNamespace: 'pid:[4026599999]' };
const MINUTE_MS = 60_000;

interface Started {
  pid: number;
  file: string;
  pidNamespace: string;
}

/** A session in a container of its own (as its PID 1) that logs `records` records; held open until the test ends it. */
async function containerSession(t: TestContext, dir: string, tag: string, records: number, hold = true): Promise<{ child: RunningChild; started: Started }> {
  const child = startChild([...CONTAINER, process.execPath, ...nodeArgv(SESSION, [dir, tag, String(records), ...(hold ? ['hold'] : [])])], { timeoutMs: 120_000 });
  t.after(() => child.child.kill('SIGKILL'));
  const line = await child.firstLine;
  assert.ok(line !== '', `the session started: ${child.stderr()}`);
  return { child, started: JSON.parse(line) as Started };
}

/** Ends a held session (its stdin closes) and waits for it. */
async function endSession(child: RunningChild): Promise<void> {
  child.child.stdin.end();
  const result = await child.done;
  assert.equal(result.code, 0, result.stderr);
}

/** Writes a log named for `pid` today (`-<sequence>` when given) with a header naming `place`, then `body`, last modified `ageMs` ago. */
function plantLog(dir: string, pid: number, place: Place, options: { sequence?: number; body?: string; ageMs?: number; date?: string } = {}): string {
  const suffix = options.sequence === undefined ? '' : `-${options.sequence}`;
  const file = path.join(dir, `automake_${options.date ?? localDate()}_${pid}${suffix}.log`);
  fs.writeFileSync(file, headerLine(pid, place) + (options.body ?? 'a record\n'), { mode: 0o600 });
  const when = new Date(Date.now() - (options.ageMs ?? 0));
  fs.utimesSync(file, when, when);
  return file;
}

/** A file's bytes and inode, to show it was neither written nor replaced. */
function fingerprint(file: string): { ino: number; bytes: string } {
  return { ino: fs.statSync(file).ino, bytes: fs.readFileSync(file, 'latin1') };
}

// --- One file per session -----------------------------------------------------

test('two sessions with PID 1 in two PID namespaces write two files, each with its own header first and all its records, in order', async (t) => {
  if (NO_NAMESPACES) return t.skip(NO_NAMESPACES);
  const dir = tempDir(t);
  const records = 100_000;
  const [a, b] = await Promise.all([containerSession(t, dir, 'first', records, false), containerSession(t, dir, 'second', records, false)]);
  await Promise.all([a.child.done, b.child.done]);
  assert.equal(a.started.pid, 1);
  assert.equal(b.started.pid, 1);
  assert.notEqual(a.started.pidNamespace, b.started.pidNamespace);
  const today = localDate();
  assert.deepEqual([a.started.file, b.started.file].map((file) => path.basename(file)).sort(), [`automake_${today}_1-2.log`, `automake_${today}_1.log`]);
  for (const { started } of [a, b]) {
    const tag = started === a.started ? 'first' : 'second';
    const lines = fileLines(started.file);
    assert.match(lines[0], HEADER_RECORD);
    assert.ok(lines[0].includes(` pidNamespace=${started.pidNamespace} `), lines[0]);
    assert.equal(lines.filter((line) => HEADER_RECORD.test(line)).length, 1, 'one header: no other session wrote here');
    assert.match(lines[lines.length - 1], END_RECORD);
    assert.equal(sequenceProblem(sequenceOf(started.file, tag), records), undefined, tag);
    assert.equal(sequenceOf(started.file, tag === 'first' ? 'second' : 'first').length, 0, 'none of the other session\'s records');
  }
});

test('a PID reused on one host after an exec session: the new session writes to -2, and both logs stay whole', async (t) => {
  if (NO_NAMESPACES) return t.skip(NO_NAMESPACES);
  const dir = tempDir(t);
  // Inside a fresh namespace nothing else takes PIDs: setting ns_last_pid to one
  // below the first run's PID gives the second run the same one.
  const run = [process.execPath, ...cliArgv(['exec', '--', 'echo', 'ran'])].map((word) => `'${word}'`).join(' ');
  const script = `${run} >/dev/null & p=$!; wait $p; echo $((p - 1)) > /proc/sys/kernel/ns_last_pid; ${run} >/dev/null & q=$!; wait $q; echo "$p $q"`;
  const result = spawnSync(CONTAINER[0], [...CONTAINER.slice(1), 'sh', '-c', script], { cwd: ROOT, env: cliEnv({ dir }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  const [first, second] = result.stdout.trim().split(' ').map(Number);
  assert.equal(second, first, 'the second run got the first one\'s PID');
  const names = fs.readdirSync(dir).sort();
  assert.deepEqual(names, [`automake_${localDate()}_${first}-2.log`, `automake_${localDate()}_${first}.log`]);
  for (const name of names) {
    const lines = fileLines(path.join(dir, name));
    assert.match(lines[0], HEADER_RECORD);
    assert.equal(lines.filter((line) => HEADER_RECORD.test(line)).length, 1, name);
    assert.equal(lines.filter((line) => / - automake\.exec\.stdout - INFO - ran$/.test(line)).length, 1, name);
    assert.match(lines[lines.length - 1], END_RECORD);
  }
});

// --- The command line in another container -------------------------------------

test('logs show, view and config in a container whose PID is a live and an ended session\'s leave both logs untouched', async (t) => {
  if (NO_NAMESPACES) return t.skip(NO_NAMESPACES);
  const dir = tempDir(t);
  const live = await containerSession(t, dir, 'live', 10);
  assert.equal(path.basename(live.started.file), `automake_${localDate()}_1.log`);
  const ended = plantLog(dir, 1, ELSEWHERE, { sequence: 2, body: endLine() });
  for (const args of [['logs', 'show'], ['logs', 'view'], ['logs', 'config']]) {
    const before = [fingerprint(live.started.file), fingerprint(ended)];
    const result = await runCli(args, { dir, runAs: CONTAINER });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.deepEqual([fingerprint(live.started.file), fingerprint(ended)], before, args.join(' '));
    assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(live.started.file), path.basename(ended)].sort(), `${args.join(' ')} left no log of its own`);
  }
  await endSession(live.child);
});

const PRUNERS: { name: string; args: string[]; env?: Record<string, string> }[] = [
  { name: 'the startup budget prune', args: ['logs', 'config'], env: { AUTOMAKE_LOG_MAX_TOTAL_SIZE: '1K' } },
  { name: 'logs prune --max-total 1K', args: ['logs', 'prune', '--max-total', '1K'] },
  { name: 'logs clear --yes', args: ['logs', 'clear', '--yes'] },
];

for (const pruner of PRUNERS) {
  for (const where of ['the host', 'another container'] as const) {
    test(`${pruner.name} from ${where} keeps a live container session's log and deletes ended ones (end record, or idle over five minutes)`, async (t) => {
      if (NO_NAMESPACES) return t.skip(NO_NAMESPACES);
      const dir = tempDir(t);
      const live = await containerSession(t, dir, 'live', 2_000);
      // The live session is young and small: only the budget or clear could take it.
      const withEnd = plantLog(dir, 7, ELSEWHERE, { body: 'a record\n' + endLine(), ageMs: MINUTE_MS });
      const idle = plantLog(dir, 8, ELSEWHERE, { ageMs: 6 * MINUTE_MS });
      const quiet = plantLog(dir, 9, ELSEWHERE, { ageMs: 4 * MINUTE_MS });
      const result = await runCli(pruner.args, { dir, env: pruner.env, ...(where === 'another container' ? { runAs: CONTAINER } : {}) });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(fs.existsSync(live.started.file), 'the live session\'s log is kept');
      assert.ok(fs.existsSync(quiet), 'a log touched four minutes ago may be a running session\'s: kept');
      assert.ok(!fs.existsSync(withEnd), 'a log ending with its end record is deleted');
      assert.ok(!fs.existsSync(idle), 'a log untouched for six minutes is deleted');
      await endSession(live.child);
      assert.match(fileLines(live.started.file).at(-1)!, END_RECORD, 'and the live session wrote on to its end');
    });
  }
}

// --- PID 1 and old logs ------------------------------------------------------------

test('an old _1.log is pruned by age, from another container and from this host\'s own PID 1 before this boot', (t) => {
  const dir = tempDir(t);
  const fromContainer = plantLog(dir, 1, ELSEWHERE, { date: '2020-01-01', ageMs: 10 * DAY_MS });
  const bootMs = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]) * 1000;
  // Here PID 1 is alive, but it started at boot, after this log was last written.
  const beforeBoot = plantLog(dir, 1, thisPlace(), { date: '2020-01-02', sequence: 2, ageMs: Math.max(10 * DAY_MS, Date.now() - bootMs + DAY_MS) });
  // Their age counts from their birth where the file system records it: ten days on, they are old.
  const report = pruneOldLogs(dir, { now: Date.now() + 10 * DAY_MS });
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.deleted.sort(), [fromContainer, beforeBoot].sort());
});

test('a young _1.log of an idle container session is pruned by the budget; a live one is not', (t) => {
  const dir = tempDir(t);
  const idle = plantLog(dir, 1, ELSEWHERE, { ageMs: 10 * MINUTE_MS });
  const live = plantLog(dir, 1, ELSEWHERE, { sequence: 2, ageMs: 10_000 });
  const report = pruneOldLogs(dir, { maxTotalBytes: 1 });
  assert.deepEqual(report.deleted, [idle]);
  assert.ok(fs.existsSync(live));
});

// --- Liveness, rule by rule -------------------------------------------------------

test('isSessionRunning: an end record ends a log whatever its PID; a torn one does not', (t) => {
  const dir = tempDir(t);
  const ours = plantLog(dir, process.pid, thisPlace(), { body: endLine() });
  assert.equal(isSessionRunning(ours, fs.statSync(ours)), false, 'the PID is alive (ours), but the log says it ended');
  const torn = plantLog(dir, process.pid, thisPlace(), { sequence: 2, body: endLine().slice(0, -1) });
  assert.equal(isSessionRunning(torn, fs.statSync(torn)), true, 'a last line without its newline is no end record');
  const json = path.join(dir, `automake_${localDate()}_${deadPid()}.log`);
  fs.writeFileSync(json, `{"level":30,"time":1,"pid":${deadPid()},"name":"automake","msg":"Session started","host":"elsewhere"}\n{"level":30,"time":2,"pid":${deadPid()},"name":"automake","msg":"Session ended","exitCode":0}\n`);
  assert.equal(isSessionRunning(json, fs.statSync(json)), false, 'in JSON too');
});

test('isSessionRunning: a header of this host, boot and namespace is judged by its PID; of anywhere else, by an mtime under five minutes', (t) => {
  const dir = tempDir(t);
  const here = thisPlace();
  // Touched just after PID 1 started (at boot, perhaps more than five minutes ago): its PID still runs it.
  const initStartMs = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))![1]) * 1000
    + Number(fs.readFileSync('/proc/1/stat', 'utf8').split(') ')[1].split(' ')[19]) * 10;
  const sinceInit = Date.now() - initStartMs - 500;
  const cases: [string, number, Place, number, boolean][] = [
    ['here, PID 1 alive since before the log was touched', 1, here, sinceInit, true],
    ['here, PID alive (ours), touched now', process.pid, here, 0, true],
    ['here, PID dead, touched now', deadPid(), here, 0, false],
    ['older header naming this host only, PID 1 alive', 1, { host: here.host }, sinceInit, true],
    ['older header naming this host only, PID dead', deadPid(), { host: here.host }, 0, false],
    ['another namespace, touched 4 min ago', deadPid(), ELSEWHERE, 4 * MINUTE_MS, true],
    ['another namespace, our PID alive, touched 6 min ago', process.pid, ELSEWHERE, 6 * MINUTE_MS, false],
    ['another boot, touched 6 min ago', process.pid, { ...here, bootId: '00000000-0000-0000-0000-000000000000' }, 6 * MINUTE_MS, false],
    ['another host, touched 1 min ago', deadPid(), { host: 'elsewhere', bootId: here.bootId, pidNamespace: here.pidNamespace }, MINUTE_MS, true],
    ['another host, touched 6 min ago', process.pid, { host: 'elsewhere', bootId: here.bootId, pidNamespace: here.pidNamespace }, 6 * MINUTE_MS, false],
  ];
  cases.forEach(([what, pid, place, ageMs, running], i) => {
    const file = plantLog(dir, pid, place, { sequence: i + 2, ageMs });
    assert.equal(isSessionRunning(file, fs.statSync(file)), running, what);
  });
  const headerless = path.join(dir, `automake_${localDate()}_${process.pid}-99.log`);
  fs.writeFileSync(headerless, 'no header\n');
  assert.equal(isSessionRunning(headerless, fs.statSync(headerless)), true, 'no header, touched now');
  const idle = new Date(Date.now() - 6 * MINUTE_MS);
  fs.utimesSync(headerless, idle, idle);
  assert.equal(isSessionRunning(headerless, fs.statSync(headerless)), false, 'no header, untouched for six minutes, though its PID is alive');
});

// --- Own file by identity -----------------------------------------------------------

test('a logs command removes its empty log only while the name is still its file: a file put in its place is kept', async (t) => {
  const dir = tempDir(t);
  const follower = startCli(['logs', 'view', '-f', '--all'], { dir, timeoutMs: 60_000 });
  t.after(() => follower.child.kill('SIGKILL'));
  const own = () => fs.readdirSync(dir).find((name) => new RegExp(`_${follower.pid}(-\\d+)?\\.log$`).test(name));
  await waitUntil(() => own() !== undefined, 20_000, 'the follower\'s own log');
  const ownPath = path.join(dir, own()!);
  fs.renameSync(ownPath, path.join(dir, 'moved-aside'));
  fs.writeFileSync(ownPath, 'another session\'s records\n', { mode: 0o600 });
  follower.child.kill('SIGINT');
  const result = await follower.done;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(fs.readFileSync(ownPath, 'utf8'), 'another session\'s records\n');
});

// --- The heartbeat -------------------------------------------------------------------

// Started before the first test, checked by the last: the wait runs beside the others.
const IDLE_FOR_MS = 70_000;
let idleDir = '';
let idleSince = 0;
let idleSession: RunningChild | undefined;
before(() => {
  idleDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'automake-idle-'));
  idleSince = Date.now();
  idleSession = startChild([process.execPath, ...nodeArgv(SESSION, [idleDir, 'idle', '1', 'hold'])], { timeoutMs: 120_000 });
});
after(() => {
  idleSession?.child.kill('SIGKILL');
  fs.rmSync(idleDir, { recursive: true, force: true });
});

test('a session idle for 70 s keeps its file\'s mtime fresh (the heartbeat), and its log running for every reader', async () => {
  const session = idleSession!;
  const { file } = JSON.parse(await session.firstLine) as Started;
  const createdMs = idleSince;
  const sizeBefore = fs.statSync(file).size;
  await waitUntil(() => Date.now() - createdMs >= IDLE_FOR_MS, IDLE_FOR_MS + 10_000, '70 s of idleness');
  const stats = fs.statSync(file);
  assert.equal(stats.size, sizeBefore, 'nothing was logged meanwhile');
  assert.ok(Date.now() - stats.mtimeMs <= 35_000, `touched within the last 35 s (${Math.round((Date.now() - stats.mtimeMs) / 1000)} s ago)`);
  assert.ok(stats.mtimeMs - createdMs >= 55_000, 'touched after a minute, not only when it was written');
  assert.equal(isSessionRunning(file, stats), true);
  await endSession(session);
});
