/**
 * Records logged before initLogging are held (docs/design.md §1): once a session
 * opens they are written first, in order, with the fields they had. When the
 * process ends and no session ever took them, WARNING and above go to stderr, as
 * Python's logging does with no handler, rather than vanish.
 *
 * The first tests hold records in this process (the module's state: each closes
 * its session); the others run a child that logs before initLogging.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getLogger } from '../lib/logging.ts';
import { fixture, runNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, TIMESTAMP } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

const CHILD = fixture('held-child.ts');
const RECORD = new RegExp(`^${TIMESTAMP} - automake\\.early - (WARNING|ERROR) - `);

function checkLastResort(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `two records on stderr: ${stderr}`);
  assert.match(lines[0], RECORD);
  assert.ok(lines[0].endsWith(' - WARNING - held warning \\x1b[31m'), `escaped: ${lines[0]}`);
  assert.ok(lines[1].endsWith(' - ERROR - held error code=42'), lines[1]);
  assert.ok(!stderr.includes('held info'), 'INFO stays quiet');
}

test('records logged before initLogging are written first, in order, once the file opens', async (t) => {
  const early = getLogger('automake.early');
  early.warning('early one');
  getLogger().info('early two');
  early.debug('early debug, below the level');
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    s.logger.info('after init');
  });
  assert.deepEqual(levelsAndMessages(file), ['WARNING - early one', 'INFO - early two', 'INFO - after init']);
  // Written once: a second session does not see them again.
  const again = await withSession({ dir: tempDir(t), env: {} }, (s) => s.logger.info('second session'));
  assert.deepEqual(levelsAndMessages(again), ['INFO - second session']);
});

test('a held record keeps the extra fields it had when logged', async (t) => {
  const fields: Record<string, unknown> = { task: 'build' };
  getLogger().info('held with fields', fields);
  fields.task = 'changed later';
  const file = await withSession({ dir: tempDir(t), env: {} }, () => {});
  assert.match(bodyLines(fileLines(file))[0], / - automake - INFO - held with fields task=build$/);
});

test('initLogging never called: held WARNING and ERROR records reach stderr at exit, escaped; INFO does not', async () => {
  const result = await runNode(CHILD, ['never']);
  assert.equal(result.code, 0);
  checkLastResort(result.stderr);
});

test('initLogging failed: the held records still reach stderr at exit', async (t) => {
  const notADir = join(tempDir(t), 'a-file');
  writeFileSync(notADir, '');
  const result = await runNode(CHILD, ['fails', join(notADir, 'logs')]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout, 'setup failed\n');
  checkLastResort(result.stderr);
});

test('initLogging succeeded: the held records go to the file, none to stderr', async (t) => {
  const dir = tempDir(t);
  const result = await runNode(CHILD, ['succeeds', dir]);
  assert.equal(result.code, 0);
  assert.equal(result.stderr, '');
  const text = readFileSync(onlyLogFile(dir), 'utf8');
  for (const message of ['held info', 'held warning \\x1b[31m', 'held error code=42']) assert.ok(text.includes(message), message);
});
