/**
 * Levels and loggers (docs/design.md §1): which records a level lets through, level
 * names, `isEnabledFor`, and named loggers (`getLogger`, `child()`).
 *
 * These tests share the module's state (one active session): each one closes
 * its session (withSession), and they run one after another.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { getLogger } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

// --- levels and loggers -------------------------------------------------------

test('DEBUG records are hidden at INFO and shown at level debug', async (t) => {
  const hidden = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.debug('d');
    s.logger.info('i');
  });
  assert.deepEqual(levelsAndMessages(hidden), ['INFO - i']);
  const shown = await withSession({ dir: tempDir(t), level: 'debug', env: {} }, (s) => {
    s.logger.debug('d');
    s.logger.info('i');
    s.logger.warning('w');
    s.logger.error('e');
    s.logger.critical('c');
  });
  assert.deepEqual(levelsAndMessages(shown), ['DEBUG - d', 'INFO - i', 'WARNING - w', 'ERROR - e', 'CRITICAL - c']);
});

test('level names are case-insensitive and warn is an alias of WARNING', async (t) => {
  for (const level of ['Warning', 'WARN', 'warn', 'wArNiNg']) {
    const file = await withSession({ dir: tempDir(t), level, env: {} }, (s) => {
      s.logger.info('i');
      s.logger.warn('via warn');
      s.logger.warning('via warning');
      s.logger.error('e');
    });
    assert.deepEqual(levelsAndMessages(file), ['WARNING - via warn', 'WARNING - via warning', 'ERROR - e'], level);
  }
});

test('isEnabledFor tells whether a record at a level would be written', async (t) => {
  await withSession({ dir: tempDir(t), level: 'warning', env: {} }, (s) => {
    assert.equal(s.logger.isEnabledFor('DEBUG'), false);
    assert.equal(s.logger.isEnabledFor('INFO'), false);
    assert.equal(s.logger.isEnabledFor('WARNING'), true);
    assert.equal(s.logger.isEnabledFor('ERROR'), true);
    assert.equal(s.logger.isEnabledFor('CRITICAL'), true);
    assert.equal(getLogger('automake.other').isEnabledFor('INFO'), false);
  });
  await withSession({ dir: tempDir(t), level: 'debug', env: {} }, (s) => {
    assert.equal(s.logger.isEnabledFor('DEBUG'), true);
  });
});

test('child() names a logger <parent>.<name>, and its records carry that name', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    const agent = s.logger.child('agent');
    assert.equal(agent.name, 'automake.agent');
    assert.equal(agent.child('tool').name, 'automake.agent.tool');
    assert.equal(agent, getLogger('automake.agent'));
    agent.info('from the agent');
  });
  assert.match(bodyLines(fileLines(file))[0], / - automake\.agent - INFO - from the agent$/);
});

test('getLogger returns the same object for the same name, and the root logger by default', async (t) => {
  assert.equal(getLogger('automake.same'), getLogger('automake.same'));
  assert.notEqual(getLogger('automake.same'), getLogger('automake.other'));
  assert.equal(getLogger(), getLogger('automake'));
  assert.equal(getLogger().name, 'automake');
  await withSession({ dir: tempDir(t), env: {} }, (s) => {
    assert.equal(s.logger, getLogger());
  });
});

test('bad logger names throw a TypeError', () => {
  for (const name of ['', 'has space', 'new\nline', 'esc\x1b', 'tab\tname', 42 as unknown as string]) {
    assert.throws(() => getLogger(name), TypeError, JSON.stringify(name));
  }
  assert.throws(() => getLogger('automake').child('a b'), TypeError);
});

// --- log(level) and lines(level, text) ----------------------------------------

test('log(level, …) writes at that level, and a name that is no level is a TypeError naming it', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.log('DEBUG', 'hidden');
    s.logger.log('WARNING', 'w');
    s.logger.log('ERROR', 'e');
    assert.throws(() => s.logger.log('loud' as 'INFO', 'x'), { name: 'TypeError', message: /DEBUG, INFO, WARNING, ERROR, CRITICAL: received "loud"/ });
  });
  assert.deepEqual(levelsAndMessages(file), ['WARNING - w', 'ERROR - e']);
});

test('lines() writes each line as a record of its own, one timestamp for all, and none can forge another logger', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.child('out').lines('INFO', 'one\n\nthree - automake - ERROR - forged');
    s.logger.lines('DEBUG', 'below the level');
  });
  const lines = bodyLines(fileLines(file));
  assert.deepEqual(levelsAndMessages(file), ['INFO - one', 'INFO - ', 'INFO - three - automake - ERROR - forged']);
  assert.ok(lines.every((line) => line.includes(' - automake.out - INFO - ')), 'every line is a record of automake.out');
  assert.equal(new Set(lines.map((line) => line.slice(0, 23))).size, 1, 'one timestamp for the block');
});

test('lines() in JSON writes one object per line', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', format: 'json', env: {} }, (s) => {
    s.logger.lines('WARNING', 'a "quoted"\nb');
  });
  const records = bodyLines(fileLines(file)).map((line) => JSON.parse(line) as { level: number; msg: string });
  assert.deepEqual(records.map((r) => [r.level, r.msg]), [[40, 'a "quoted"'], [40, 'b']]);
});

test('lines() before initLogging holds one record per line', async (t) => {
  getLogger('automake.early').lines('INFO', 'first\nsecond');
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, () => {});
  assert.deepEqual(levelsAndMessages(file), ['INFO - first', 'INFO - second']);
});
