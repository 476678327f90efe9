/**
 * Safe files in any directory (docs/design.md §7): a log directory other users can
 * reach is refused before anything in it is pruned or written; a file planted
 * at the session's name, or a hard link there, is never written to (the session
 * takes the next free name); the command
 * line still does its job when logging cannot be set up; and `logs view` cannot
 * be made to drive the terminal. The other user is `nobody`, for real: these
 * tests need root, and say so when they skip.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';

import { escapeControlChars } from '../lib/logging.ts';
import { AS_NOBODY, fixture, lastJsonLine, runNode } from './helpers/child.ts';
import { cannotRunAsNobody, runCli, startCli } from './helpers/cli.ts';
import { deadPid, headerLine, logOf, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, RECORD_START } from './helpers/records.ts';

const FIXTURE = fixture('open-child.ts');
const NOBODY = 65534;

interface Outcome {
  planted: string;
  opened?: string;
  error?: { name: string; message: string; isSetupError: boolean; path?: string };
}

/** Runs the open fixture: `mode` plants something at its own log's name in `dir`, then initLogging. */
async function openIn(dir: string, mode = 'none', target = '', env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const result = await runNode(FIXTURE, [mode, dir, target], { env: { ...process.env, ...env }, timeoutMs: 10_000 });
  assert.equal(result.code, 0, result.stderr);
  return lastJsonLine<Outcome>(result);
}

/** Why files cannot be given to another user here, or undefined when they can. */
function cannotChown(): string | undefined {
  return process.platform === 'linux' && process.getuid?.() === 0 ? undefined : 'giving files to nobody needs root on Linux';
}

/** A file's bytes, mode, owner and mtime: what "untouched" means. */
function snapshot(file: string): { bytes: string; mode: number; uid: number; mtimeMs: number; nlink: number } {
  const stats = fs.lstatSync(file);
  return { bytes: fs.readFileSync(file).toString('hex'), mode: stats.mode, uid: stats.uid, mtimeMs: stats.mtimeMs, nlink: stats.nlink };
}

// --- The file ----------------------------------------------------------------

test('a file planted at the session\'s name by another user (mode 0666) stays byte for byte as it was, and the session writes to -2', async (t) => {
  const why = cannotChown();
  if (why !== undefined) return t.skip(why);
  const dir = tempDir(t);
  const outcome = await openIn(dir, 'foreign', String(NOBODY));
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.equal(outcome.opened, outcome.planted.replace(/\.log$/, '-2.log'));
  const after = snapshot(outcome.planted);
  assert.equal(Buffer.from(after.bytes, 'hex').toString(), 'planted by another user\n');
  assert.equal(after.mode & 0o7777, 0o666, 'its mode is not narrowed either');
  assert.equal(after.uid, NOBODY);
  assert.equal(fs.statSync(outcome.opened!).uid, process.getuid!(), 'the session\'s own file is ours');
});

test('a hard link planted at the session\'s name is not written through: the file it links to is untouched', async (t) => {
  const dir = tempDir(t);
  const target = path.join(tempDir(t), '.bashrc');
  fs.writeFileSync(target, 'export PATH=$HOME/bin:$PATH\n', { mode: 0o644 });
  const before = snapshot(target);
  const outcome = await openIn(dir, 'hardlink', target);
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.equal(outcome.opened, outcome.planted.replace(/\.log$/, '-2.log'));
  assert.deepEqual(snapshot(target), { ...before, nlink: 2 });
});

// --- The directory -------------------------------------------------------------

/** A directory in a fresh private parent with `mode` (and owner), holding the log of an ended session older than any retention. */
function unsafeDir(t: TestContext, mode: number, uid?: number): { dir: string; oldLog: string } {
  const dir = path.join(tempDir(t), 'logs');
  fs.mkdirSync(dir);
  const pid = deadPid();
  const oldLog = path.join(dir, `automake_2020-01-01_${pid}.log`);
  fs.writeFileSync(oldLog, headerLine(pid) + 'an ended session\n', { mode: 0o600 });
  fs.chmodSync(dir, mode);
  if (uid !== undefined) fs.chownSync(dir, uid, uid);
  return { dir, oldLog };
}

// A retention so short (under a tenth of a millisecond) that the old log above is due.
const PRUNE_EVERYTHING = { RETENTION_DAYS: '0.000000001' };

/** Asserts that initLogging refused `dir` naming `what`, and neither pruned nor wrote anything there. */
async function assertRefused(dir: string, oldLog: string, what: RegExp): Promise<string> {
  const outcome = await openIn(dir, 'none', '', PRUNE_EVERYTHING);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.match(outcome.error.message, what);
  assert.ok(outcome.error.message.includes(dir), outcome.error.message);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(oldLog)], 'nothing written, nothing pruned');
  return outcome.error.message;
}

test('a world-writable log directory (0777) is refused, with the chmod that fixes it, and nothing in it is pruned or written', async (t) => {
  const { dir, oldLog } = unsafeDir(t, 0o777);
  const message = await assertRefused(dir, oldLog, /other users can write to it \(mode 0777\)/);
  assert.ok(message.includes(`chmod o-w ${dir}`), message);
  assert.ok(message.includes('AUTOMAKE_LOG_DIR'), message);
});

test('a world-writable directory with the sticky bit (1777, like /tmp) is refused too', async (t) => {
  const { dir, oldLog } = unsafeDir(t, 0o1777);
  await assertRefused(dir, oldLog, /other users can write to it \(mode 1777\)/);
});

test('a log directory owned by another user is refused, and nothing in it is pruned or written', async (t) => {
  const why = cannotChown();
  if (why !== undefined) return t.skip(why);
  const { dir, oldLog } = unsafeDir(t, 0o700, NOBODY);
  await assertRefused(dir, oldLog, /belongs to another user \(uid 65534\)/);
});

test('a group-writable log directory is used, and the session\'s first records say so in a WARNING', async (t) => {
  const { dir, oldLog } = unsafeDir(t, 0o770);
  const outcome = await openIn(dir, 'none', '', PRUNE_EVERYTHING);
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.ok(!fs.existsSync(oldLog), 'the directory was pruned as usual');
  const warning = fileLines(outcome.opened!).find((line) => / - WARNING - /.test(line));
  assert.ok(warning !== undefined, 'a WARNING record');
  assert.match(warning, RECORD_START);
  assert.ok(warning.includes(`Log directory ${dir} is writable by its group (mode 0770)`), warning);
});

test('a private log directory gets no warning about its mode', async (t) => {
  const dir = tempDir(t);
  const outcome = await openIn(dir);
  assert.deepEqual(bodyLines(fileLines(outcome.opened!)).filter((line) => !line.endsWith(' - INFO - new session line')), []);
});

test('a symlink to a private directory is followed: the log is written in the directory it points to', async (t) => {
  const target = tempDir(t);
  const link = path.join(tempDir(t), 'logs');
  fs.symlinkSync(target, link);
  const outcome = await openIn(link);
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.deepEqual(fs.readdirSync(target), [path.basename(outcome.opened!)]);
});

test('a symlink is judged by the directory it points to: to a world-writable one it is refused, naming both', async (t) => {
  const { dir: target, oldLog } = unsafeDir(t, 0o1777);
  const link = path.join(tempDir(t), 'logs');
  fs.symlinkSync(target, link);
  const message = await assertRefused(link, oldLog, /other users can write to it \(mode 1777\)/);
  assert.ok(message.includes(`${link} (${target})`), message);
  assert.ok(message.includes(`chmod o-w ${target}`), message);
});

test('a symlink to another user\'s directory is refused', async (t) => {
  const why = cannotChown();
  if (why !== undefined) return t.skip(why);
  const { dir: target, oldLog } = unsafeDir(t, 0o755, NOBODY);
  const link = path.join(tempDir(t), 'logs');
  fs.symlinkSync(target, link);
  await assertRefused(link, oldLog, /belongs to another user \(uid 65534\)/);
});

// --- The command line keeps working ---------------------------------------------

const DISABLED = /^automake: logging disabled: Unsafe log directory .*: other users can write to it \(mode 0777\)/;

test('exec with a log directory it must refuse still runs the command and exits with its code, saying so in one line', async (t) => {
  const { dir, oldLog } = unsafeDir(t, 0o777);
  const result = await runCli(['exec', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { dir });
  assert.equal(result.code, 7);
  assert.equal(result.stdout, 'out\n');
  const [line, ...rest] = result.stderr.split('\n');
  assert.match(line, DISABLED);
  assert.deepEqual(rest, ['err', '']);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(oldLog)], 'nothing written, nothing pruned');
});

test('logs show lists a directory it would not log into', async (t) => {
  const { dir, oldLog } = unsafeDir(t, 0o777);
  const result = await runCli(['logs', 'show', '--json'], { dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, DISABLED);
  assert.deepEqual((JSON.parse(result.stdout) as { file: string }[]).map((log) => log.file), [path.basename(oldLog)]);
});

test('as another user: a root-owned directory open to all (1777, like /tmp) is refused, and that user\'s own 0700 one is used', async (t) => {
  const why = cannotRunAsNobody();
  if (why !== undefined) return t.skip(why);
  const shared = tempDir(t);
  fs.chmodSync(shared, 0o1777);
  const own = tempDir(t);
  fs.chownSync(own, NOBODY, NOBODY);
  const [inShared, inOwn] = await Promise.all([shared, own].map((dir) => {
    const running = startCli(['exec', '--', 'sh', '-c', 'id -u; exit 5'], { dir, runAs: AS_NOBODY, input: '' });
    return running.done.then((result) => ({ result, log: logOf(dir, running.pid) }));
  }));
  for (const { result } of [inShared, inOwn]) {
    assert.equal(result.code, 5, result.stderr);
    assert.equal(result.stdout, `${NOBODY}\n`);
  }
  assert.match(inShared.result.stderr, /^automake: logging disabled: Unsafe log directory .*: other users can write to it \(mode 1777\).*\n$/);
  assert.deepEqual(fs.readdirSync(shared), []);
  assert.equal(inOwn.result.stderr, '');
  assert.equal(fs.statSync(inOwn.log).uid, NOBODY);
  assert.equal(fs.statSync(inOwn.log).mode & 0o777, 0o600);
});

// --- Reading is safe too ---------------------------------------------------------

test('logs view escapes a planted file\'s control characters: no raw ESC, CR, BEL or C1 reaches the terminal', async (t) => {
  const dir = tempDir(t);
  const name = `automake_2020-01-01_${deadPid()}.log`;
  // A title change, a screen clear, a carriage return that hides what came before, and a one-byte CSI.
  fs.writeFileSync(path.join(dir, name), 'before\x1b]0;owned\x07\x1b[2J\rafter\n\tindented \u009b31m\n');
  const result = await runCli(['logs', 'view', name], { dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'before\\x1b]0;owned\\x07\\x1b[2J\\rafter\n\tindented \\x9b31m\n');
  assert.doesNotMatch(result.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
});

test('escapeControlChars keeps text, tabs and newlines, and escapes a C1 control however it is spelled in bytes', () => {
  const text = 'naïve café € 漢字 😀\tend\n';
  assert.equal(escapeControlChars(text), text);
  // Files are decoded as UTF-8 before they are escaped: U+009B as UTF-8 is escaped; a
  // lone 0x9B byte (CSI to an 8-bit terminal) and an overlong spelling of ESC (E0 80 9B)
  // decode to U+FFFD, which drives no terminal.
  const bytes = Buffer.from([0x61, 0xc2, 0x9b, 0x62, 0x9b, 0x63, 0xe0, 0x80, 0x9b, 0x0a]);
  const escaped = escapeControlChars(bytes.toString('utf8'));
  assert.ok(escaped.startsWith('a\\x9bb'), escaped);
  assert.doesNotMatch(escaped, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  assert.ok(!Buffer.from(escaped).some((byte) => byte === 0x1b || byte === 0x9b), 'no ESC or CSI byte survives');
  assert.equal(escapeControlChars('x\x1by\u009bz\r\n'), 'x\\x1by\\x9bz\\r\n');
});
