/**
 * Opening the session's file (docs/design.md §2): whatever already sits at the name
 * (a symlink, an earlier session's file, a FIFO, a directory) is never followed,
 * truncated or waited on. The name holds the PID, so each case runs in a child
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

test('a symlink planted at the session file name is refused with a LoggingSetupError, and its target is untouched', async (t) => {
  const dir = tempDir(t);
  const elsewhere = tempDir(t);
  const target = path.join(elsewhere, 'precious.txt');
  fs.writeFileSync(target, 'precious content\n', { mode: 0o644 });
  const before = fs.statSync(target);
  const outcome = await openWith('symlink', dir, target);
  assert.equal(outcome.opened, undefined);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.equal(outcome.error.name, 'LoggingSetupError');
  assert.equal(outcome.error.path, outcome.planted);
  assert.ok(outcome.error.message.includes(outcome.planted), outcome.error.message);
  assert.equal(fs.readFileSync(target, 'utf8'), 'precious content\n');
  const after = fs.statSync(target);
  assert.equal(after.size, before.size);
  assert.equal(after.mode, before.mode);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.ok(fs.lstatSync(outcome.planted).isSymbolicLink(), 'the symlink is left as it was');
});

test('a dangling symlink planted at the session file name is refused and nothing is created at its target', async (t) => {
  const dir = tempDir(t);
  const target = path.join(tempDir(t), 'created-through-the-link.log');
  const outcome = await openWith('dangling', dir, target);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.equal(outcome.error.path, outcome.planted);
  assert.ok(!fs.existsSync(target), 'the link was not followed to create its target');
});

test('an earlier file of ours with the same name (PID reused the same day) keeps its content, the new records follow it, and its mode is narrowed to 0600', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('existing', dir);
  assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
  assert.equal(outcome.opened, outcome.planted);
  const [earlier, ...ours] = fileLines(outcome.planted);
  assert.equal(earlier, 'earlier session line');
  const lines = bodyLines(ours);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], TIMESTAMP_START);
  assert.match(lines[0], / - automake - INFO - new session line$/);
  assert.equal(fs.statSync(outcome.planted).mode & 0o777, 0o600, 'planted 0644');
});

test('a FIFO at the session file name gives a LoggingSetupError without hanging', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('fifo', dir);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.equal(outcome.error.path, outcome.planted);
  assert.ok(fs.lstatSync(outcome.planted).isFIFO());
});

test('a FIFO with a reader at the session file name gives a LoggingSetupError too', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('fifo-reader', dir);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.equal(outcome.error.path, outcome.planted);
});

test('a directory at the session file name gives a LoggingSetupError', async (t) => {
  const dir = tempDir(t);
  const outcome = await openWith('directory', dir);
  assert.ok(outcome.error?.isSetupError, JSON.stringify(outcome));
  assert.equal(outcome.error.path, outcome.planted);
  assert.ok(fs.lstatSync(outcome.planted).isDirectory());
});
