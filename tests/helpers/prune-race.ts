/**
 * Pruners racing on one directory (tests/prune.test.ts, tests/disk-budget.test.ts):
 * each contender (tests/fixtures/prune-race-child.ts) loads everything, says it is
 * ready, and prunes when the start file appears, so that they all start at once.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import type { PruneReport } from '../../lib/logging.ts';
import { fixture, lastJsonLine, runNode } from './child.ts';

/** What one contender printed: its PID, when it started pruning, and its report. */
export interface RaceResult {
  pid: number;
  started: number;
  report: PruneReport;
}

/**
 * Runs `racers` contenders on `dir` with the present `now` and, when given, the
 * budget `maxTotalBytes`; `root` holds their ready files and the start file.
 * Asserts each ended cleanly (exit 0, nothing on stderr) and returns their results.
 */
export async function pruneRace(root: string, dir: string, racers: number, now: number, maxTotalBytes?: number): Promise<RaceResult[]> {
  const readyDir = path.join(root, 'ready');
  const startFile = path.join(root, 'start');
  fs.mkdirSync(readyDir);
  const args = [dir, readyDir, startFile, String(now), ...(maxTotalBytes === undefined ? [] : [String(maxTotalBytes)])];
  const contender = fixture('prune-race-child.ts');
  const children = Array.from({ length: racers }, () => runNode(contender, args, { timeoutMs: 30_000 }));
  const deadline = Date.now() + 20_000;
  while (fs.readdirSync(readyDir).length < racers) {
    assert.ok(Date.now() < deadline, 'every contender got ready');
    await delay(5);
  }
  fs.writeFileSync(startFile, '');
  const results = await Promise.all(children);
  return results.map((result) => {
    assert.equal(result.timedOut, false);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    return lastJsonLine<RaceResult>(result);
  });
}
