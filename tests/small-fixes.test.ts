/**
 * The small bugs issue 19 found, each held: a final newline starts no empty
 * record (§1), an AggregateError's inner errors are logged (§2), environment
 * numbers are plain decimals (§1), and a file system under 20 MiB still keeps
 * some space free by default (§6).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { test } from 'node:test';

import { resolveSettings } from '../lib/logging.ts';
import { mountTmpfs, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

test("lines(level, 'a\\n') writes one record; an empty line in the middle, or a lone newline, is a record", async (t) => {
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    s.logger.lines('INFO', 'a\n');
    s.logger.lines('INFO', Buffer.from('b\n\nc\n'));
    s.logger.lines('INFO', '\n');
  });
  assert.deepEqual(levelsAndMessages(file), ['INFO - a', 'INFO - b', 'INFO - ', 'INFO - c', 'INFO - ']);
});

test("an AggregateError's inner errors are logged with their stacks, in text and as pino's aggregateErrors in JSON", async (t) => {
  const error = new AggregateError([new Error('first inner'), new TypeError('second inner')], 'all failed');
  const text = bodyLines(fileLines(await withSession({ dir: tempDir(t), env: {} }, (s) => s.logger.error('batch', error)))).join('\n');
  assert.match(text, /\n {4}AggregateError: all failed\n/);
  assert.match(text, /\n {4}Error 1 of 2: Error: first inner\n {8}at /);
  assert.match(text, /\n {4}Error 2 of 2: TypeError: second inner\n {8}at /);
  const json = bodyLines(fileLines(await withSession({ dir: tempDir(t), env: {}, format: 'json' }, (s) => s.logger.error('batch', error))));
  const err = (JSON.parse(json[0]!) as { err: { aggregateErrors: { type: string; message: string; stack: string }[] } }).err;
  assert.deepEqual(err.aggregateErrors.map(({ type, message }) => [type, message]), [['Error', 'first inner'], ['TypeError', 'second inner']]);
  assert.match(err.aggregateErrors[1]!.stack, /^TypeError: second inner\n {4}at /);
});

test('AUTOMAKE_LOG_RETENTION_DAYS is a plain decimal or Infinity: 0x10, 1e1 and 1e400 are refused with the WARNING', () => {
  const days = (value: string) => resolveSettings({ env: { HOME: os.tmpdir(), AUTOMAKE_LOG_RETENTION_DAYS: value } });
  for (const value of ['0x10', '1e1', '1e400', '-2', '0', '.5', '7days']) {
    const { settings, warnings } = days(value);
    assert.equal(settings.retentionDays.value, 7, value);
    assert.match(warnings.join('\n'), new RegExp(`Ignoring AUTOMAKE_LOG_RETENTION_DAYS="${value.replace('.', '\\.')}": not a valid value; using the default 7`), value);
  }
  for (const [value, expected] of [['16', 16], [' 2.5 ', 2.5], ['Infinity', Infinity]] as const) {
    assert.deepEqual([days(value).settings.retentionDays.value, days(value).warnings], [expected, []], value);
  }
});

test('on a file system under 20 MiB the default free-space floor is 5% of it in whole KiB, not 0', (t) => {
  const mountPoint = mountTmpfs(t, '16m');
  if (mountPoint === undefined) return t.skip('mounting a tmpfs is not permitted here');
  const { blocks, bsize } = fs.statfsSync(mountPoint);
  const { settings } = resolveSettings({ dir: mountPoint, env: {} });
  assert.equal(settings.minFreeBytes.value, Math.floor((blocks * bsize * 0.05) / 1024) * 1024);
  assert.ok(settings.minFreeBytes.value > 0 && settings.minFreeBytes.value < 1024 * 1024, String(settings.minFreeBytes.value));
  assert.equal(settings.maxTotalBytes.value, 16 * 1024 * 1024, 'the total budget keeps its 16 MiB floor');
});
