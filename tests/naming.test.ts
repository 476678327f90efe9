/**
 * File naming and locations (docs/design.md §1 "Default directory", §2): the log file
 * name, the platform's default directory, and what initLogging creates on disk.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { defaultLogDir, initLogging, logFileName, LoggingSetupError } from '../lib/logging.ts';
import { localDate, tempDir } from './helpers/log-files.ts';
import { DATE } from './helpers/records.ts';

/** Runs `fn` with the process time zone set to `tz`, then restores it. */
function withTimeZone<T>(tz: string, fn: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = tz;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

test('logFileName is automake_YYYY-MM-DD_PID.log with zero-padded month and day', () => {
  assert.equal(logFileName(new Date(2024, 0, 5, 12, 0, 0), 42), 'automake_2024-01-05_42.log');
  assert.equal(logFileName(new Date(2031, 10, 30, 0, 0, 0), 123456), 'automake_2031-11-30_123456.log');
});

test('logFileName with a sequence of 2 or more is the -N name a session takes when the plain one is taken; 1 is the plain name', () => {
  const date = new Date(2024, 0, 5, 12, 0, 0);
  assert.equal(logFileName(date, 1, 'automake', 2), 'automake_2024-01-05_1-2.log');
  assert.equal(logFileName(date, 1, 'automake', 1000), 'automake_2024-01-05_1-1000.log');
  assert.equal(logFileName(date, 1, 'automake', 1), 'automake_2024-01-05_1.log');
  for (const sequence of [0, -1, 1.5, Number.NaN]) assert.throws(() => logFileName(date, 1, 'automake', sequence), /"sequence" must be a positive integer/);
});

test('logFileName zero-pads a year below 1000 to four digits', () => {
  const date = new Date(2000, 1, 3);
  date.setFullYear(987);
  assert.equal(logFileName(date, 7), 'automake_0987-02-03_7.log');
});

test('logFileName uses the local calendar date, not the UTC one', () => {
  // 2024-01-01 20:00 UTC is already 2024-01-02 in Kiritimati (UTC+14) and still 2024-01-01 in Honolulu (UTC-10).
  const instant = new Date(Date.UTC(2024, 0, 1, 20, 0, 0));
  assert.equal(withTimeZone('Pacific/Kiritimati', () => logFileName(instant, 9)), 'automake_2024-01-02_9.log');
  // 2024-01-01 05:00 UTC is still 2023-12-31 in Honolulu.
  const early = new Date(Date.UTC(2024, 0, 1, 5, 0, 0));
  assert.equal(withTimeZone('Pacific/Honolulu', () => logFileName(early, 9)), 'automake_2023-12-31_9.log');
});

test('logFileName puts the given prefix in place of automake', () => {
  assert.equal(logFileName(new Date(2024, 5, 7), 99, 'myapp'), 'myapp_2024-06-07_99.log');
  assert.equal(logFileName(new Date(2024, 5, 7), 99, 'my.app-2_x'), 'my.app-2_x_2024-06-07_99.log');
});

test('logFileName refuses a PID that is not a positive integer with a TypeError', () => {
  for (const pid of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 53, '12' as unknown as number]) {
    assert.throws(() => logFileName(new Date(), pid), TypeError, `pid ${String(pid)}`);
  }
});

test('logFileName refuses a prefix that would not be a plain file name token with a TypeError', () => {
  for (const prefix of ['', 'a b', '../x', 'a/b', '.hidden', '-dash', 'tab\there', 'new\nline', 'star*', 42 as unknown as string]) {
    assert.throws(() => logFileName(new Date(), 1, prefix), TypeError, `prefix ${JSON.stringify(prefix)}`);
  }
});

test('defaultLogDir on Linux uses an absolute XDG_STATE_HOME', () => {
  assert.equal(defaultLogDir({ XDG_STATE_HOME: '/var/state', HOME: '/home/u' }, 'linux'), '/var/state/automake/logs');
});

test('defaultLogDir on Linux ignores a relative XDG_STATE_HOME and falls back to HOME', () => {
  assert.equal(defaultLogDir({ XDG_STATE_HOME: 'state', HOME: '/home/u' }, 'linux'), '/home/u/.local/state/automake/logs');
  assert.equal(defaultLogDir({ XDG_STATE_HOME: './state', HOME: '/home/u' }, 'linux'), '/home/u/.local/state/automake/logs');
});

test('defaultLogDir on Linux falls back to HOME when XDG_STATE_HOME is unset or empty', () => {
  assert.equal(defaultLogDir({ HOME: '/home/u' }, 'linux'), '/home/u/.local/state/automake/logs');
  assert.equal(defaultLogDir({ XDG_STATE_HOME: '', HOME: '/home/u' }, 'linux'), '/home/u/.local/state/automake/logs');
});

test('defaultLogDir on other Unix platforms follows the Linux rules', () => {
  assert.equal(defaultLogDir({ XDG_STATE_HOME: '/s', HOME: '/home/u' }, 'freebsd'), '/s/automake/logs');
  assert.equal(defaultLogDir({ HOME: '/home/u' }, 'openbsd'), '/home/u/.local/state/automake/logs');
});

test('defaultLogDir on macOS is ~/Library/Logs/automake, whatever XDG_STATE_HOME says', () => {
  assert.equal(defaultLogDir({ HOME: '/Users/u' }, 'darwin'), '/Users/u/Library/Logs/automake');
  assert.equal(defaultLogDir({ HOME: '/Users/u', XDG_STATE_HOME: '/x' }, 'darwin'), '/Users/u/Library/Logs/automake');
});

test('defaultLogDir on Windows is %LOCALAPPDATA%\\automake\\Logs', () => {
  assert.equal(
    defaultLogDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local', HOME: '/ignored' }, 'win32'),
    'C:\\Users\\u\\AppData\\Local\\automake\\Logs',
  );
});

test('defaultLogDir with no home throws a LoggingSetupError naming the variable to set', () => {
  for (const platform of ['linux', 'darwin', 'freebsd']) {
    assert.throws(
      () => defaultLogDir({}, platform),
      (error: unknown) => error instanceof LoggingSetupError && /\bHOME\b/.test(error.message) && /AUTOMAKE_LOG_DIR/.test(error.message),
      platform,
    );
    // An empty HOME is no home either.
    assert.throws(() => defaultLogDir({ HOME: '' }, platform), LoggingSetupError, `${platform}, empty HOME`);
  }
  // A relative XDG_STATE_HOME is ignored, so it does not stand in for HOME.
  assert.throws(() => defaultLogDir({ XDG_STATE_HOME: 'rel' }, 'linux'), LoggingSetupError);
  assert.throws(
    () => defaultLogDir({}, 'win32'),
    (error: unknown) => error instanceof LoggingSetupError && /LOCALAPPDATA/.test(error.message),
  );
});

test('defaultLogDir without arguments reads process.env and process.platform', () => {
  assert.equal(defaultLogDir(), defaultLogDir(process.env, process.platform));
});

test('initLogging creates <dir>/automake_<today>_<pid>.log with mode 0600', async (t) => {
  const dir = tempDir(t);
  const before = localDate(new Date());
  const session = initLogging({ dir, env: {} });
  try {
    const after = localDate(new Date());
    const candidates = [before, after].map((day) => path.join(dir, `automake_${day}_${process.pid}.log`));
    assert.ok(candidates.includes(session.filePath), `${session.filePath} is one of ${candidates.join(', ')}`);
    const stats = fs.lstatSync(session.filePath);
    assert.ok(stats.isFile());
    assert.equal(stats.mode & 0o777, 0o600);
  } finally {
    await session.close();
  }
});

test('initLogging creates a missing nested log directory, each new level with mode 0700', async (t) => {
  const root = tempDir(t);
  const dir = path.join(root, 'a', 'b', 'c');
  const session = initLogging({ dir, env: {} });
  try {
    assert.equal(path.dirname(session.filePath), dir);
    for (const level of [path.join(root, 'a'), path.join(root, 'a', 'b'), dir]) {
      const stats = fs.statSync(level);
      assert.ok(stats.isDirectory(), level);
      assert.equal(stats.mode & 0o777, 0o700, level);
    }
    assert.equal(fs.statSync(session.filePath).mode & 0o777, 0o600);
  } finally {
    await session.close();
  }
});

test('initLogging leaves the mode of an existing log directory alone', async (t) => {
  const dir = tempDir(t);
  fs.chmodSync(dir, 0o755);
  const session = initLogging({ dir, env: {} });
  try {
    assert.equal(fs.statSync(dir).mode & 0o777, 0o755);
  } finally {
    await session.close();
  }
});

test('initLogging gives an absolute file path for a relative dir', async (t) => {
  const root = tempDir(t);
  const relative = path.relative(process.cwd(), path.join(root, 'logs'));
  assert.ok(!path.isAbsolute(relative));
  const session = initLogging({ dir: relative, env: {} });
  try {
    assert.ok(path.isAbsolute(session.filePath), session.filePath);
    assert.equal(path.resolve(session.filePath), path.join(root, 'logs', path.basename(session.filePath)));
    assert.ok(fs.lstatSync(path.join(root, 'logs', path.basename(session.filePath))).isFile());
  } finally {
    await session.close();
  }
});

test('initLogging names the file with the prefix option', async (t) => {
  const dir = tempDir(t);
  const session = initLogging({ dir, prefix: 'myapp', env: {} });
  try {
    assert.match(path.basename(session.filePath), new RegExp(`^myapp_${DATE}_${process.pid}\\.log$`));
    assert.ok(fs.existsSync(session.filePath));
  } finally {
    await session.close();
  }
});

test('a log directory that cannot be created gives a LoggingSetupError carrying its path', (t) => {
  const root = tempDir(t);
  const blocker = path.join(root, 'a-file');
  fs.writeFileSync(blocker, '');
  const dir = path.join(blocker, 'logs');
  assert.throws(
    () => initLogging({ dir, env: {} }),
    (error: unknown) => error instanceof LoggingSetupError && error.path === dir && error.cause !== undefined,
  );
  // Nothing is left half set up: a good directory works right after.
  const session = initLogging({ dir: path.join(root, 'ok'), env: {} });
  return session.close();
});
