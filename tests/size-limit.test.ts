/**
 * The size limit of one session (docs/design.md §6): at `maxSessionBytes` one WARNING,
 * then only ERROR and CRITICAL records, up to 1 MiB more; everything else dropped
 * and counted. The settings' parsing and defaults. Real child processes, real files.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';

import { parseSize, resolveSettings } from '../lib/logging.ts';
import { fixture, lastJsonLine, runNode } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { END_RECORD, fileLines } from './helpers/records.ts';

const KIB = 1024;
const MIB = 1024 * KIB;
const CHILD = fixture('size-limit-child.ts');
const SIZE_LIMIT_RECORD = / - automake - WARNING - .*size limit/;

interface Flood {
  file: string;
  dropped: number;
  lines: string[];
  /** The numbers of the INFO, ERROR and flood records in the file, in file order. */
  infos: number[];
  errors: number[];
  flood: number[];
}

async function flood(t: TestContext, max: number, infos: number, errors: number, errorFlood: number, earlier = 0): Promise<Flood> {
  const dir = tempDir(t);
  const result = await runNode(CHILD, [dir, String(max), String(infos), String(errors), String(errorFlood), String(earlier)], { timeoutMs: 60_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '');
  const { file, dropped } = lastJsonLine<{ file: string; dropped: number }>(result);
  const lines = fileLines(file);
  const numbers = (pattern: RegExp) => lines.flatMap((line) => {
    const match = pattern.exec(line);
    return match === null ? [] : [Number(match[1])];
  });
  return {
    file,
    dropped,
    lines,
    infos: numbers(/ - automake\.flood - INFO - info (\d+) /),
    errors: numbers(/ - automake\.flood - ERROR - error (\d+)$/),
    flood: numbers(/ - automake\.flood - ERROR - flood (\d+) /),
  };
}

/** 0, 1, … n-1. */
function upTo(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

test('a 256 KiB cap under a flood of INFO records: one size-limit WARNING, every later ERROR lands, the rest is dropped and counted exactly', async (t) => {
  const cap = 256 * KIB;
  const infos = 20_000;
  const errors = 200;
  const run = await flood(t, cap, infos, errors, 0);
  const size = fs.statSync(run.file).size;
  t.diagnostic(`file ${size} bytes, ${run.infos.length} INFO records written, ${run.dropped} dropped`);
  assert.ok(size >= cap, `the file reached the cap: ${size} bytes`);
  assert.ok(size <= cap + MIB, `the file stays within the cap plus 1 MiB: ${size} bytes`);
  const warnings = run.lines.filter((line) => SIZE_LIMIT_RECORD.test(line));
  assert.equal(warnings.length, 1, 'exactly one size-limit WARNING');
  assert.match(warnings[0], /256 KiB/, 'it names the limit');
  // INFO records land in order up to the limit, none after the WARNING.
  assert.deepEqual(run.infos, upTo(run.infos.length));
  const warningAt = run.lines.findIndex((line) => SIZE_LIMIT_RECORD.test(line));
  // The limit is checked per chunk handed on (64 Ki characters, ASCII here): the
  // WARNING comes within one chunk of the cap, not at the hard limit.
  const before = Buffer.byteLength(run.lines.slice(0, warningAt).join('\n') + '\n');
  assert.ok(before >= cap && before < cap + 80 * KIB, `the WARNING comes at the cap, within one chunk: after ${before} bytes`);
  // The session's own end record (§9) is the one INFO record the limit lets through.
  assert.ok(run.lines.slice(warningAt).every((line) => !/ - INFO - /.test(line) || END_RECORD.test(line)), 'no INFO record after the WARNING');
  assert.ok(END_RECORD.test(run.lines.at(-1) ?? ''), 'the end record lands past the soft limit');
  assert.ok(run.infos.length > 0 && run.infos.length < infos);
  assert.deepEqual(run.errors, upTo(errors), 'every ERROR record, in order');
  assert.equal(run.dropped, infos - run.infos.length, 'dropped counts exactly the INFO records not written');
});

test('past the cap plus 1 MiB nothing lands, ERROR records included, and every lost record is counted', async (t) => {
  const cap = 64 * KIB;
  const infos = 5_000;
  const errorFlood = 20_000;
  const run = await flood(t, cap, infos, 10, errorFlood);
  const size = fs.statSync(run.file).size;
  t.diagnostic(`file ${size} bytes, ${run.flood.length} of ${errorFlood} flood ERROR records written, ${run.dropped} dropped`);
  assert.ok(size <= cap + MIB, `the file stays within the cap plus 1 MiB: ${size} bytes`);
  // Within one record of the hard limit: it took ERROR records while they fit.
  assert.ok(size > cap + MIB - 200, `the file filled up to the hard limit: ${size} bytes`);
  assert.deepEqual(run.errors, upTo(10));
  assert.deepEqual(run.flood, upTo(run.flood.length), 'ERROR records land in order until the hard limit, none after');
  assert.ok(run.flood.length < errorFlood);
  // Past the hard limit the session's end record is dropped and counted like any other.
  const endLost = run.lines.some((line) => END_RECORD.test(line)) ? 0 : 1;
  assert.equal(run.dropped, (infos - run.infos.length) + (errorFlood - run.flood.length) + endLost);
});

test("a reused PID's full file at the name is left as it is: the new session starts in -2 with its whole budget", async (t) => {
  const cap = 64 * KIB;
  const run = await flood(t, cap, 100, 3, 0, cap + 10);
  assert.match(path.basename(run.file), /_\d+-2\.log$/);
  assert.equal(fs.statSync(run.file.replace(/-2\.log$/, '.log')).size, cap + 10, 'the earlier file is untouched');
  assert.deepEqual(run.infos, upTo(100), 'every INFO record');
  assert.deepEqual(run.errors, upTo(3));
  assert.equal(run.lines.filter((line) => SIZE_LIMIT_RECORD.test(line)).length, 0);
  assert.equal(run.dropped, 0);
});

test('an unlimited session (Infinity) writes everything and drops nothing', async (t) => {
  const run = await flood(t, Infinity, 20_000, 5, 0);
  assert.deepEqual(run.infos, upTo(20_000));
  assert.equal(run.dropped, 0);
  assert.equal(run.lines.filter((line) => SIZE_LIMIT_RECORD.test(line)).length, 0);
});

// --- settings -----------------------------------------------------------------------

test('parseSize reads bytes with K, M, G, T suffixes (powers of 1024, any case, KiB and MB spellings) and unlimited', () => {
  const cases: [string, number][] = [
    ['0', 0], ['4096', 4096], ['4096B', 4096], ['512K', 512 * KIB], ['512k', 512 * KIB], ['512KiB', 512 * KIB], ['512kb', 512 * KIB],
    ['64M', 64 * MIB], ['64MB', 64 * MIB], ['64 MiB', 64 * MIB], ['1g', 1024 * MIB], ['2T', 2 * 1024 * 1024 * MIB], [' 8M ', 8 * MIB],
    ['unlimited', Infinity], ['UNLIMITED', Infinity],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSize(text), bytes, text);
  for (const text of ['', 'M', '-1', '1.5M', '1e6', '10X', '10 KB B', 'infinity', '0x10', '99999999999999T']) {
    assert.equal(parseSize(text), undefined, text);
  }
});

test('a bad size in code throws a TypeError naming the option and the value', () => {
  for (const name of ['maxSessionBytes', 'maxTotalBytes', 'minFreeBytes'] as const) {
    for (const value of [-1, 1.5, Number.NaN, '64M', -Infinity]) {
      assert.throws(() => resolveSettings({ dir: '/tmp', env: {}, [name]: value as number }), (error: unknown) => {
        return error instanceof TypeError && error.message.includes(`"${name}"`) && error.message.includes(`received ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
      }, `${name}: ${String(value)}`);
    }
  }
});

test('the sizes come from the option, else the environment, else a default; a bad environment value gives the default and a warning', (t) => {
  const dir = tempDir(t);
  const fromEnv = resolveSettings({ dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '3M', AUTOMAKE_LOG_MAX_TOTAL_SIZE: '1g', AUTOMAKE_LOG_MIN_FREE: 'unlimited' } });
  assert.deepEqual(fromEnv.settings.maxSessionBytes, { value: 3 * MIB, source: 'environment', variable: 'AUTOMAKE_LOG_MAX_SESSION_SIZE' });
  assert.deepEqual(fromEnv.settings.maxTotalBytes, { value: 1024 * MIB, source: 'environment', variable: 'AUTOMAKE_LOG_MAX_TOTAL_SIZE' });
  assert.deepEqual(fromEnv.settings.minFreeBytes, { value: Infinity, source: 'environment', variable: 'AUTOMAKE_LOG_MIN_FREE' });
  assert.deepEqual(fromEnv.warnings, []);

  const fromOption = resolveSettings({ dir, maxTotalBytes: 80 * MIB, env: { AUTOMAKE_LOG_MAX_TOTAL_SIZE: '1g' } });
  assert.deepEqual(fromOption.settings.maxTotalBytes, { value: 80 * MIB, source: 'option' });
  assert.deepEqual(fromOption.settings.maxSessionBytes, { value: 10 * MIB, source: 'default' }, 'one eighth of the maxTotalBytes in force');

  const bad = resolveSettings({ dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '12 parsecs' } });
  assert.equal(bad.settings.maxSessionBytes.source, 'default');
  assert.equal(bad.settings.maxSessionBytes.value, Math.floor(bad.settings.maxTotalBytes.value / 8));
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0], /AUTOMAKE_LOG_MAX_SESSION_SIZE="12 parsecs".*using the default \d+ [KMG]iB$/);
});

test('the defaults follow the log directory\'s file system: 10% of it within [16 MiB, 1 GiB], 5% of it up to 1 GiB free, one eighth per session', (t) => {
  const dir = tempDir(t);
  const { blocks, bsize } = fs.statfsSync(dir);
  const size = blocks * bsize;
  const wholeMiB = (bytes: number) => Math.floor(bytes / MIB) * MIB;
  const { settings } = resolveSettings({ dir, env: {} });
  const total = Math.min(1024 * MIB, Math.max(16 * MIB, wholeMiB(size * 0.1)));
  t.diagnostic(`file system of ${(size / MIB).toFixed(0)} MiB: budget ${settings.maxTotalBytes.value / MIB} MiB, keep ${settings.minFreeBytes.value / MIB} MiB free`);
  assert.deepEqual(settings.maxTotalBytes, { value: total, source: 'default' });
  assert.deepEqual(settings.minFreeBytes, { value: Math.min(1024 * MIB, wholeMiB(size * 0.05)), source: 'default' });
  assert.deepEqual(settings.maxSessionBytes, { value: total / 8, source: 'default' });
  // A directory that does not exist yet is measured on the file system it will be made on.
  assert.deepEqual(resolveSettings({ dir: path.join(dir, 'not', 'yet'), env: {} }).settings.maxTotalBytes, settings.maxTotalBytes);
});
