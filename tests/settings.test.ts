/**
 * Settings (docs/design.md §1): option > environment > default for each one, the
 * settings a session reports, bad values in code refused with a TypeError, bad
 * values in the environment reported and replaced by the default.
 *
 * These tests share the module's state (one active session, the held records):
 * each one closes its session (withSession), and they run one after another.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { defaultLogDir, getLogger, initLogging, type LoggingOptions } from '../lib/logging.ts';
import { deadPid, headerLine, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, TIMESTAMP_START } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

// --- option > environment > default -----------------------------------------

test('dir: the option wins over AUTOMAKE_LOG_DIR', async (t) => {
  const optionDir = tempDir(t);
  const envDir = tempDir(t);
  const file = await withSession({ dir: optionDir, env: { AUTOMAKE_LOG_DIR: envDir } }, () => {});
  assert.equal(path.dirname(file), optionDir);
  assert.deepEqual(fs.readdirSync(envDir), []);
});

test('dir: AUTOMAKE_LOG_DIR wins over the default directory', async (t) => {
  const home = tempDir(t);
  const envDir = tempDir(t);
  const file = await withSession({ env: { AUTOMAKE_LOG_DIR: envDir, HOME: home } }, () => {});
  assert.equal(path.dirname(file), envDir);
  assert.deepEqual(fs.readdirSync(home), []);
});

test('dir: without option or variable the platform default under the given env is used', async (t) => {
  const home = tempDir(t);
  const state = tempDir(t);
  // What defaultLogDir answers on each platform is checked in naming.test.ts.
  for (const env of [{ HOME: home }, { HOME: home, XDG_STATE_HOME: state }]) {
    const file = await withSession({ env }, () => {});
    assert.equal(path.dirname(file), defaultLogDir(env));
    assert.ok(file.startsWith(env.XDG_STATE_HOME !== undefined && process.platform === 'linux' ? state : home), file);
    assert.ok(fs.existsSync(file));
  }
});

test('level: the option wins over AUTOMAKE_LOG_LEVEL', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'debug', env: { AUTOMAKE_LOG_LEVEL: 'ERROR' } }, (s) => {
    s.logger.debug('debug shown');
  });
  assert.deepEqual(levelsAndMessages(file), ['DEBUG - debug shown']);
});

test('level: AUTOMAKE_LOG_LEVEL wins over the default INFO', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: { AUTOMAKE_LOG_LEVEL: 'error' } }, (s) => {
    s.logger.warning('warning hidden');
    s.logger.error('error shown');
  });
  assert.deepEqual(levelsAndMessages(file), ['ERROR - error shown']);
});

test('level: the default is INFO', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    s.logger.debug('debug hidden');
    s.logger.info('info shown');
  });
  assert.deepEqual(levelsAndMessages(file), ['INFO - info shown']);
});

/** A matching log file of a dead session, created a few ms before the test goes on. */
async function plantOldLog(dir: string): Promise<string> {
  const pid = deadPid();
  const file = path.join(dir, `automake_2024-01-01_${pid}.log`);
  fs.writeFileSync(file, headerLine(pid) + 'old\n');
  await delay(20);
  return file;
}

// A retention of 1e-7 days is 8.64 ms: a file made 20 ms ago is older.
const TINY_RETENTION = 1e-7;

test('retentionDays: the option wins over AUTOMAKE_LOG_RETENTION_DAYS', async (t) => {
  const dir = tempDir(t);
  const old = await plantOldLog(dir);
  await withSession({ dir, retentionDays: TINY_RETENTION, env: { AUTOMAKE_LOG_RETENTION_DAYS: '7' } }, (s) => {
    assert.deepEqual(s.pruned.deleted, [old]);
  });
  assert.ok(!fs.existsSync(old));

  const kept = await plantOldLog(dir);
  await withSession({ dir, retentionDays: 7, env: { AUTOMAKE_LOG_RETENTION_DAYS: TINY_RETENTION.toFixed(7) } }, (s) => {
    assert.deepEqual(s.pruned.deleted, []);
  });
  assert.ok(fs.existsSync(kept));
});

test('retentionDays: AUTOMAKE_LOG_RETENTION_DAYS wins over the default 7 days', async (t) => {
  const dir = tempDir(t);
  const old = await plantOldLog(dir);
  await withSession({ dir, env: { AUTOMAKE_LOG_RETENTION_DAYS: TINY_RETENTION.toFixed(7) } }, (s) => {
    assert.deepEqual(s.pruned.deleted, [old]);
  });
  assert.ok(!fs.existsSync(old));
});

test('retentionDays: the default keeps a file made moments ago', async (t) => {
  const dir = tempDir(t);
  const recent = await plantOldLog(dir);
  await withSession({ dir, env: {} }, (s) => {
    assert.deepEqual(s.pruned.deleted, []);
    assert.equal(s.pruned.kept, 1);
  });
  assert.ok(fs.existsSync(recent));
});

test('retentionDays: Infinity disables pruning', async (t) => {
  const dir = tempDir(t);
  const old = await plantOldLog(dir);
  await withSession({ dir, retentionDays: Infinity, env: { AUTOMAKE_LOG_RETENTION_DAYS: TINY_RETENTION.toFixed(7) } }, () => {});
  assert.ok(fs.existsSync(old));
});

test('format: the option wins over AUTOMAKE_LOG_FORMAT', async (t) => {
  const file = await withSession({ dir: tempDir(t), format: 'json', env: { AUTOMAKE_LOG_FORMAT: 'text' } }, (s) => {
    s.logger.info('as json');
  });
  const [line, ...rest] = bodyLines(fileLines(file));
  assert.deepEqual(rest, []);
  assert.equal(JSON.parse(line).msg, 'as json');
});

test('format: AUTOMAKE_LOG_FORMAT wins over the default text', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: { AUTOMAKE_LOG_FORMAT: 'JSON' } }, (s) => {
    s.logger.info('as json');
  });
  assert.equal(JSON.parse(bodyLines(fileLines(file))[0]).msg, 'as json');
});

test('format: the default is text records', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    s.logger.info('as text');
  });
  assert.deepEqual(levelsAndMessages(file), ['INFO - as text']);
});

test('settings report each value and where it came from', async (t) => {
  const dir = tempDir(t);
  await withSession({ dir, env: { AUTOMAKE_LOG_LEVEL: 'warning', AUTOMAKE_LOG_FORMAT: 'json' } }, (s) => {
    assert.deepEqual(s.settings.dir, { value: dir, source: 'option' });
    assert.equal(s.settings.level.value, 'WARNING');
    assert.equal(s.settings.level.source, 'environment');
    assert.equal(s.settings.format.value, 'json');
    assert.equal(s.settings.format.source, 'environment');
    assert.deepEqual(s.settings.retentionDays, { value: 7, source: 'default' });
  });
});

// --- bad values in code ---------------------------------------------------

/** Asserts `options` is refused with a TypeError whose message holds every one of `words`. */
function assertRefused(t: { name: string }, options: unknown, words: string[]): void {
  assert.throws(
    () => initLogging(options as LoggingOptions),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, `${t.name}: ${String(error)}`);
      for (const word of words) assert.ok(error.message.includes(word), `${JSON.stringify(error.message)} names ${word}`);
      return true;
    },
  );
}

test('a bad retentionDays in code throws a TypeError naming the option and the value', (t) => {
  const dir = path.join(tempDir(t), 'never');
  assertRefused(t, { dir, retentionDays: -1 }, ['retentionDays', '-1']);
  assertRefused(t, { dir, retentionDays: 0 }, ['retentionDays', '0']);
  assertRefused(t, { dir, retentionDays: Number.NaN }, ['retentionDays', 'NaN']);
  assertRefused(t, { dir, retentionDays: -Infinity }, ['retentionDays', '-Infinity']);
  assertRefused(t, { dir, retentionDays: '7' }, ['retentionDays', '"7"']);
  // Refused before anything touches the disk.
  assert.ok(!fs.existsSync(dir));
});

test('a bad level in code throws a TypeError naming the option and the value', (t) => {
  const dir = path.join(tempDir(t), 'never');
  assertRefused(t, { dir, level: 'loud' }, ['level', 'loud']);
  assertRefused(t, { dir, level: 20 }, ['level', '20']);
  assert.ok(!fs.existsSync(dir));
});

test('a bad format in code throws a TypeError naming the option and the value', (t) => {
  const dir = path.join(tempDir(t), 'never');
  assertRefused(t, { dir, format: 'xml' }, ['format', 'xml']);
  assert.ok(!fs.existsSync(dir));
});

test('an unknown option key throws a TypeError naming the key', (t) => {
  const dir = path.join(tempDir(t), 'never');
  assertRefused(t, { dir, directory: '/tmp' }, ['directory']);
  assertRefused(t, { dir, retention: 3 }, ['retention']);
  assert.ok(!fs.existsSync(dir));
});

test('a bad prefix in code throws a TypeError naming the option and the value', (t) => {
  const dir = path.join(tempDir(t), 'never');
  assertRefused(t, { dir, prefix: 'a b' }, ['prefix', 'a b']);
  assertRefused(t, { dir, prefix: '../up' }, ['prefix', '../up']);
  assertRefused(t, { dir, prefix: '' }, ['prefix']);
  assert.ok(!fs.existsSync(dir));
});

test('a refused option leaves no session behind: the next initLogging works', async (t) => {
  assert.throws(() => initLogging({ dir: tempDir(t), level: 'loud' }), TypeError);
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => s.logger.info('after refusal'));
  assert.deepEqual(levelsAndMessages(file), ['INFO - after refusal']);
});

// --- bad values in the environment ------------------------------------------

const BAD_ENV: { variable: string; value: string; fallback: string }[] = [
  { variable: 'AUTOMAKE_LOG_LEVEL', value: 'loud', fallback: 'INFO' },
  { variable: 'AUTOMAKE_LOG_RETENTION_DAYS', value: '-3', fallback: '7' },
  { variable: 'AUTOMAKE_LOG_FORMAT', value: 'xml', fallback: 'text' },
];

for (const { variable, value, fallback } of BAD_ENV) {
  test(`${variable}=${value} does not throw: the default ${fallback} is used and the first record after the header is a WARNING naming both`, async (t) => {
    const dir = tempDir(t);
    // Held from before initLogging: must follow the warning.
    getLogger('automake.early').info(`held before init (${variable})`);
    const file = await withSession({ dir, env: { [variable]: value } }, (s) => {
      s.logger.info('after init');
      assert.equal(s.settings.retentionDays.value, 7);
      assert.equal(s.settings.level.value, 'INFO');
      assert.equal(s.settings.format.value, 'text');
    });
    const lines = bodyLines(fileLines(file));
    const records = lines.filter((line) => TIMESTAMP_START.test(line));
    assert.equal(records.length, 3, lines.join('\n'));
    const [first, second, third] = records;
    assert.match(first, / - automake - WARNING - /);
    for (const word of [variable, value, fallback]) assert.ok(first.includes(word), `${JSON.stringify(first)} names ${word}`);
    assert.match(second, new RegExp(` - automake\\.early - INFO - held before init \\(${variable}\\)$`));
    assert.match(third, / - automake - INFO - after init$/);
  });
}

test('a retention of 0 or NaN in the environment is refused like a negative one', async (t) => {
  for (const value of ['0', 'NaN', 'seven']) {
    const file = await withSession({ dir: tempDir(t), env: { AUTOMAKE_LOG_RETENTION_DAYS: value } }, (s) => {
      assert.equal(s.settings.retentionDays.value, 7);
    });
    const [first] = levelsAndMessages(file);
    assert.ok(first.startsWith('WARNING - ') && first.includes('AUTOMAKE_LOG_RETENTION_DAYS') && first.includes(value), first);
  }
});

test('a good environment gives no warning record', async (t) => {
  const file = await withSession(
    { dir: tempDir(t), env: { AUTOMAKE_LOG_LEVEL: 'info', AUTOMAKE_LOG_RETENTION_DAYS: '2.5', AUTOMAKE_LOG_FORMAT: 'text' } },
    (s) => {
      s.logger.info('only record');
      assert.equal(s.settings.retentionDays.value, 2.5);
    },
  );
  assert.deepEqual(levelsAndMessages(file), ['INFO - only record']);
});
