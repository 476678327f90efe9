/**
 * A failure to write never crashes the host (docs/design.md §4): the disk fills up
 * under a real tmpfs of 256 KiB, or the log's fd is closed behind our back.
 * The program goes on, says so once on stderr, counts what it dropped, and
 * close() resolves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './helpers/child.ts';
import { mountTmpfs, onlyLogFile, tempDir } from './helpers/log-files.ts';
import { DATE, fileLines, sequenceOf, sequenceProblem } from './helpers/records.ts';

for (const scenario of ['close', 'close-async'] as const) {
  const how = scenario === 'close' ? 'in a tight loop (synchronous writes)' : 'across ticks (the stream\'s writes)';
  test(`the disk fills up ${how}: the program runs on, one line on stderr, dropped counted, close() resolves, exit 0`, async (t) => {
    const disk = mountTmpfs(t, '256k');
    if (disk === undefined) {
      t.skip('mounting a tmpfs is not permitted here');
      return;
    }
    const records = 20_000; // about 2 MB: eight times the disk
    const result = await runScenario([scenario, disk, String(records), 'rec']);
    assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
    const stderrLines = result.stderr.trim().split('\n');
    assert.equal(stderrLines.length, 1, `one line on stderr: ${result.stderr}`);
    assert.match(stderrLines[0], new RegExp(`^automake logging: cannot write to .*automake_${DATE}_\\d+\\.log: ENOSPC: no space left on device`));
    const report = JSON.parse(result.stdout) as { closed: boolean; dropped: number };
    assert.equal(report.closed, true, 'close() resolved');
    const landed = fileLines(onlyLogFile(disk)).length;
    assert.ok(report.dropped > 0 && report.dropped <= records, `dropped ${report.dropped}`);
    // The header landed before the disk filled; the end record was dropped with the rest.
    assert.equal(landed + report.dropped, 1 + records + 1, `${landed} landed whole + ${report.dropped} dropped = header + ${records} + end`);
  });
}

test('the log fd is closed behind our back (EBADF): the program runs on, one line on stderr, the rest counted as dropped', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async (t) => {
  const dir = tempDir(t);
  const records = 2000;
  const result = await runScenario(['ebadf', dir, String(records), 'rec']);
  assert.equal(result.code, 0, `exit code; stderr: ${result.stderr}`);
  const stderrLines = result.stderr.trim().split('\n');
  assert.equal(stderrLines.length, 1, `one line on stderr: ${result.stderr}`);
  assert.match(stderrLines[0], /^automake logging: cannot write to .*: EBADF: bad file descriptor/);
  const report = JSON.parse(result.stdout) as { closed: boolean; dropped: number };
  assert.equal(report.closed, true, 'close() resolved');
  // The first half was flushed before the fd was closed; the second half, the ERROR and the end record were not written.
  assert.equal(sequenceProblem(sequenceOf(onlyLogFile(dir), 'rec'), records / 2), undefined);
  assert.equal(report.dropped, records / 2 + 1 + 1);
});
