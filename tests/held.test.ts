/**
 * Records logged before initLogging are held (design.md §1). When the process
 * ends and no session ever took them, WARNING and above go to stderr, as
 * Python's logging does with no handler, rather than vanish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onlyLogFile, ROOT, startNode, tempDir } from './helpers/run.ts';

const CHILD = join(ROOT, 'tests/helpers/held-child.ts');
const RECORD = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - automake\.early - (WARNING|ERROR) - /;

function checkLastResort(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `two records on stderr: ${stderr}`);
  assert.match(lines[0], RECORD);
  assert.ok(lines[0].endsWith(' - WARNING - held warning \\x1b[31m'), `escaped: ${lines[0]}`);
  assert.ok(lines[1].endsWith(' - ERROR - held error code=42'), lines[1]);
  assert.ok(!stderr.includes('held info'), 'INFO stays quiet');
}

test('initLogging never called: held WARNING and ERROR records reach stderr at exit, escaped; INFO does not', async () => {
  const result = await startNode(CHILD, ['never']).done;
  assert.equal(result.code, 0);
  checkLastResort(result.stderr);
});

test('initLogging failed: the held records still reach stderr at exit', async (t) => {
  const notADir = join(tempDir(t), 'a-file');
  writeFileSync(notADir, '');
  const result = await startNode(CHILD, ['fails', join(notADir, 'logs')]).done;
  assert.equal(result.code, 0);
  assert.equal(result.stdout, 'setup failed\n');
  checkLastResort(result.stderr);
});

test('initLogging succeeded: the held records go to the file, none to stderr', async (t) => {
  const dir = tempDir(t);
  const result = await startNode(CHILD, ['succeeds', dir]).done;
  assert.equal(result.code, 0);
  assert.equal(result.stderr, '');
  const text = readFileSync(onlyLogFile(dir), 'utf8');
  for (const message of ['held info', 'held warning \\x1b[31m', 'held error code=42']) assert.ok(text.includes(message), message);
});
