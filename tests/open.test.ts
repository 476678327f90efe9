/**
 * Opening the session's file (docs/design.md §2, §12): whatever already sits at the
 * name (a symlink, an earlier session's file, a FIFO, a directory) is never followed,
 * opened, written, truncated, re-moded or waited on; the session takes the next free
 * `-<n>` name. The name holds the PID, so each case runs in a child
 * process that plants the obstacle at its own name before initLogging.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { fixture, lastJsonLine, runNode } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, TIMESTAMP_START } from './helpers/records.ts';

const FIXTURE = fixture('open-child.ts');

interface Outcome {
  planted: string;
  opened?: string;
  error?: { name: string; message: string; isSetupError: boolean; path?: string; causeCode?: string };
}

async function openWith(mode: string, dir: string, target = ''): Promise<Outcome> {
  const result = await runNode(FIXTURE, [mode, dir, target], { timeoutMs: 10_000 });
  assert.equal(result.timedOut, false, `the child hung (mode ${mode})`);
  assert.equal(result.code, 0, result.stderr);
  return lastJsonLine<Outcome>(result);
}

/**
 * Asserts that the session took the next free name, `-2`, wrote its own header
 * first and its record after it into a file of mode 0600, and wrote nothing else.
 */
function assertTookNextName(outcome: Outcome): void {
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.equal(outcome.opened, outcome.planted.replace(/\.log$/, '-2.log'));
  const lines = fileLines(outcome.opened!);
  assert.match(lines[0], TIMESTAMP_START);
  assert.match(lines[0], / - automake - INFO - Session started pid=\d+ /);
  assert.deepEqual(bodyLines(lines).map((line) => line.replace(/^.* - automake - /, '')), ['INFO - new session line']);
  assert.equal(fs.statSync(outcome.opened!).mode & 0o777, 0o600);
}

test('a symlink planted at the session file name is left as it is, its target untouched, and the session writes to -2', async (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  const target = path.join(elsewhere, 'precious.txt');
  fs.writeFileSync(target, 'precious content\n', { mode: 0o644 });
  const before = fs.statSync(target);
  const outcome = await openWith('symlink', dir, target);
  assertTookNextName(outcome);
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious content\n');
  const after = fs.statSync(target);
  assert.equal(after.size, before.size);
  assert.equal(after.mode, before.mode);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.ok(fs.lstatSync(outcome.planted).isSymbolicLink(), 'the symlink is left as it was');
  assert.equal(fs.readlinkSync(outcome.planted), target);
});

test('a dangling symlink planted at the session file name is not followed: nothing is created at its target', async (t) => {
  const dir = tempDir(t);
  const target = path.join(tempDir(t), 'created-through-the-link.log');
  const outcome = await openWith('dangling', dir, target);
  assertTookNextName(outcome);
  assert.ok(!fs.existsSync(target), 'the link was not followed to create its target');
});

test('an earlier file of ours at the name (a PID reused the same day) is left byte for byte, mode and all, and the session writes to -2', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('existing', dir);
  assertTookNextName(outcome);
  assert.equal(fs.readFileSync(outcome.planted, 'utf8'), 'earlier session line\n');
  assert.equal(fs.statSync(outcome.planted).mode & 0o777, 0o644, 'its mode is not narrowed');
});

test('a FIFO at the session file name is neither opened nor waited on', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('fifo', dir);
  assertTookNextName(outcome);
  assert.ok(fs.lstatSync(outcome.planted).isFIFO());
});

test('a FIFO with a reader at the session file name is not written either', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('fifo-reader', dir);
  assertTookNextName(outcome);
  assert.ok(fs.lstatSync(outcome.planted).isFIFO());
});

test('a directory at the session file name is left, and the session writes to -2', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('directory', dir);
  assertTookNextName(outcome);
  assert.ok(fs.lstatSync(outcome.planted).isDirectory());
});

test('when the plain name and -2 … -1000 are all taken, initLogging throws a LoggingSetupError that says so and how to fix it, and writes nothing', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('all-taken', dir);
  assert.equal(outcome.opened, undefined);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.match(outcome.error.message, /^Cannot create a log file: .*_\d+\.log up to .*_\d+-1000\.log are all taken; remove what is there or set AUTOMAKE_LOG_DIR to another directory$/);
  const names = fs.readdirSync(dir);
  assert.equal(names.length, 1000);
  for (const name of names) assert.equal(fs.statSync(path.join(dir, name)).size, 0, name);
});
