/**
 * The writer under faults (docs/design.md §4), in real child processes: a full disk
 * (a real tmpfs) when the process exits, its file removed mid-session, and 16 MiB of
 * records queued in one tick when `process.exit()` comes. The program goes on, and
 * what lands is whole records, once, in order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { runScenario } from './helpers/child.ts';
import { mountTmpfs, onlyLogFile, tempDir } from './helpers/log-files.ts';
import { fileLines, jsonSequenceOf, RECORD_START, sequenceOf, sequenceProblem } from './helpers/records.ts';

test('the disk fills up before process.exit(): exit code kept, one line on stderr, the file holds whole records in order', async (t) => {
  const disk = mountTmpfs(t, '512k');
  if (disk === undefined) return t.skip('mounting a tmpfs is not permitted here');
  const records = 30_000; // about 3 MB: six times the disk
  const result = await runScenario(['exit', disk, String(records), 'rec']);
  assert.equal(result.code, 3, result.stderr);
  assert.match(result.stderr.trim(), /^automake logging: cannot write to .*: ENOSPC: no space left on device(, write)?; later records are dropped$/);
  const lines = fileLines(onlyLogFile(disk));
  assert.ok(lines.every((line) => RECORD_START.test(line)), 'no torn record');
  const landed = sequenceOf(onlyLogFile(disk), 'rec');
  assert.ok(landed.length > 0 && landed.length < records, `${landed.length} landed`);
  assert.equal(sequenceProblem(landed, landed.length), undefined, 'the records that landed are the first ones, in order');
});

test('the log file is removed mid-session: logging goes on into the open file, ERROR included, nothing is dropped or printed', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async (t) => {
  const dir = tempDir(t);
  const result = await runScenario(['removed', dir, '2000', 'rec']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { landed: number; error: boolean; dropped: number };
  assert.deepEqual(report, { landed: 2000, error: true, dropped: 0 });
});

for (const format of ['text', 'json'] as const) {
  test(`16 MiB of records logged in one tick, then process.exit(): every record lands once, in order (${format})`, async (t) => {
    const dir = tempDir(t);
    const records = 200_000; // about 20 MB in text, more in JSON
    const result = await runScenario(['exit', dir, String(records), 'rec'], { SCENARIO_FORMAT: format });
    assert.equal(result.code, 3, result.stderr);
    const file = onlyLogFile(dir);
    assert.equal(sequenceProblem(format === 'json' ? jsonSequenceOf(file, 'rec') : sequenceOf(file, 'rec'), records), undefined);
  });
}
