/** Backpressure (docs/design.md §4): a caller faster than the disk blocks; memory stays bounded and nothing is dropped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { sequenceOf, sequenceProblem } from './helpers/records.ts';

const RECORDS = 1_000_000;
const MAX_GROWTH_BYTES = 100 * 1000 * 1000;

test('a tight loop of 1,000,000 records: every record lands, in order, and peak RSS grows by less than 100 MB', async (t) => {
  const dir = tempDir(t);
  const result = await runScenario(['memory', dir, String(RECORDS), 'rec']);
  assert.equal(result.code, 0, result.stderr);
  const { baseline, peak } = JSON.parse(result.stdout) as { baseline: number; peak: number };
  const growth = peak - baseline;
  t.diagnostic(`RSS after initLogging ${(baseline / 1e6).toFixed(1)} MB, peak ${(peak / 1e6).toFixed(1)} MB, growth ${(growth / 1e6).toFixed(1)} MB`);
  assert.ok(growth < MAX_GROWTH_BYTES, `peak RSS grew by ${(growth / 1e6).toFixed(1)} MB`);
  assert.equal(sequenceProblem(sequenceOf(onlyLogFile(dir), 'rec'), RECORDS), undefined);
});
