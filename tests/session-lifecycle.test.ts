/**
 * One session at a time (docs/design.md §1): a second initLogging is refused while a
 * session is open, a new one opens once it is closed, and closing one never
 * disturbs the next.
 *
 * These tests share the module's state (one active session): each one closes
 * its session (withSession), and they run one after another.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { initLogging, LoggingSetupError } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';
import { fileLines } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

test('calling initLogging twice throws a LoggingSetupError and the first session keeps working', async (t) => {
  const first = tempDir(t);
  const second = tempDir(t);
  const file = await withSession({ dir: first, env: {} }, (s) => {
    assert.throws(
      () => initLogging({ dir: second, env: {} }),
      (error: unknown) => error instanceof LoggingSetupError && error.path === s.filePath,
    );
    s.logger.info('still here');
  });
  assert.deepEqual(levelsAndMessages(file), ['INFO - still here']);
  assert.deepEqual(fs.readdirSync(second), []);
});

test('after await session.close() a new initLogging works and writes to its own file', async (t) => {
  const firstFile = await withSession({ dir: tempDir(t), env: {} }, (s) => s.logger.info('first'));
  const secondFile = await withSession({ dir: tempDir(t), env: {} }, (s) => s.logger.info('second'));
  assert.notEqual(firstFile, secondFile);
  assert.deepEqual(levelsAndMessages(firstFile), ['INFO - first']);
  assert.deepEqual(levelsAndMessages(secondFile), ['INFO - second']);
});

test('closing a session never disturbs the file of the session opened after it', async (t) => {
  // The new session's file descriptor may reuse the number the closed one had:
  // a late close of the old number would cut the new session off.
  for (let round = 0; round < 20; round++) {
    const file = await withSession({ dir: tempDir(t), env: {} }, async (s) => {
      s.logger.info(`round ${round} sync`);
      s.flushSync();
      await delay(1);
      s.logger.info(`round ${round} async`);
      await delay(1);
      s.logger.error(`round ${round} error`);
      assert.equal(s.dropped, 0, `round ${round}`);
    });
    assert.deepEqual(levelsAndMessages(file), [`INFO - round ${round} sync`, `INFO - round ${round} async`, `ERROR - round ${round} error`]);
  }
});

test('a session reports no dropped records in normal use', async (t) => {
  await withSession({ dir: tempDir(t), env: {} }, (s) => {
    for (let i = 0; i < 100; i++) s.logger.info(`record ${i}`);
    s.flushSync();
    assert.equal(s.dropped, 0);
    assert.equal(fileLines(s.filePath).length, 1 + 100, 'the header and the 100 records');
  });
});
