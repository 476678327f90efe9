/**
 * Bounded disk use on the command line (docs/design.md §6): `exec` past its
 * session's size limit, the budget applied at startup, and `logs show`,
 * `logs config` and `logs prune --max-total`. Real runs of the command line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.ts';
import { logNames, plantEndedLog, tempDir } from './helpers/log-files.ts';
import { fileLines } from './helpers/records.ts';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Ended sessions' logs of `size` bytes each, oldest first (birth and mtime both rise). */
function plantLogs(dir: string, count: number, size: number): string[] {
  const start = Date.now() / 1000 - 3600;
  return Array.from({ length: count }, (_, i) => {
    const file = plantEndedLog(dir, 'r'.repeat(size - 1) + '\n');
    fs.utimesSync(file, start + 60 * i, start + 60 * i);
    return file;
  });
}

describe('bounded disk use on the command line', { concurrency: true }, () => {
  test('exec of a 50,000-line command under a 128 KiB cap: every line reaches stdout, the log stops at its limit', async (t) => {
    const dir = tempDir(t);
    const lines = 50_000;
    const run = await runCli(['exec', '--', 'seq', String(lines)], { dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '128K' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, Array.from({ length: lines }, (_, i) => `${i + 1}\n`).join(''), 'the terminal gets every line, unchanged');
    const [name] = logNames(dir);
    const file = path.join(dir, name);
    const size = fs.statSync(file).size;
    t.diagnostic(`log ${size} bytes`);
    assert.ok(size >= 128 * KIB && size <= 128 * KIB + MIB, `the log stops at its limit: ${size} bytes`);
    const records = fileLines(file);
    assert.equal(records.filter((line) => / - WARNING - .*size limit of 128 KiB/.test(line)).length, 1);
    const logged = records.flatMap((line) => /automake\.exec\.stdout - INFO - (\d+)$/.exec(line)?.[1] ?? []).map(Number);
    assert.deepEqual(logged, Array.from({ length: logged.length }, (_, i) => i + 1), 'the log holds the first lines, in order');
    assert.ok(logged.length < lines);
  });

  test('exec past its log\'s size limit: the terminal gets all output, stderr says so once, and how the command ended is still logged', async (t) => {
    const dir = tempDir(t);
    const bytes = 3_000_000;
    const run = await runCli(['exec', '--', 'sh', '-c', `yes | head -c ${bytes}`], { dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '256K' } });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.length, bytes, 'the terminal gets every byte');
    assert.equal(run.stdout, 'y\n'.repeat(bytes / 2));
    assert.equal(run.stderr, 'automake: the session log reached its size limit (256 KiB): later output goes to the terminal only\n');
    const records = fileLines(path.join(dir, logNames(dir)[0]));
    assert.equal(records.filter((line) => / - automake - WARNING - .*size limit of 256 KiB/.test(line)).length, 1);
    const summary = records.findIndex((line) => / - automake\.exec - INFO - Command exited with code 0 after .* exitCode=0 commandPid=\d+ durationMs=\d+$/.test(line));
    assert.ok(summary > 0, 'exec\'s summary of how the command ended is logged past the limit');
    assert.match(records[summary + 1], / - automake - INFO - Session ended exitCode=0 durationMs=\d+ dropped=\d+$/);
  });

  test('a command that fails past the size limit: its WARNING summary is logged too', async (t) => {
    const dir = tempDir(t);
    const run = await runCli(['exec', '--', 'sh', '-c', 'yes | head -c 1000000; exit 3'], { dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '64K' } });
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout.length, 1_000_000);
    assert.equal(run.stderr.match(/size limit/g)?.length, 1, run.stderr);
    const records = fileLines(path.join(dir, logNames(dir)[0]));
    assert.ok(records.some((line) => / - automake\.exec - WARNING - Command exited with code 3 after .* exitCode=3 /.test(line)));
  });

  test('logs show marks a log that reached the limit it was written under, by the limit\'s WARNING, though today\'s limit is larger', async (t) => {
    const dir = tempDir(t);
    const run = await runCli(['exec', '--', 'sh', '-c', 'yes | head -c 300000'], { dir, env: { AUTOMAKE_LOG_MAX_SESSION_SIZE: '64K' } });
    assert.equal(run.code, 0, run.stderr);
    const env = { AUTOMAKE_LOG_MAX_SESSION_SIZE: '10M' };
    // One after the other: a logs show still running is a session log the other lists.
    const json = await runCli(['logs', 'show', '--json'], { dir, env });
    const table = await runCli(['logs', 'show'], { dir, env });
    assert.equal(json.code, 0, json.stderr);
    const listed = (JSON.parse(json.stdout) as { file: string; command: string | null; bytes: number; sizeLimitReached: boolean }[])
      .find((log) => log.command?.startsWith('automake exec') === true);
    assert.ok(listed !== undefined, json.stdout);
    assert.ok(listed.bytes < 10 * MIB);
    assert.equal(listed.sizeLimitReached, true, 'the WARNING is among the last records, before exec\'s summary and the end record');
    assert.match(table.stdout, new RegExp(`^${listed.file} .* \\(size limit\\) `, 'm'));
  });

  test('at startup the budget in force deletes the oldest ended sessions\' logs first', async (t) => {
    const dir = tempDir(t);
    const logs = plantLogs(dir, 5, 10 * KIB);
    const run = await runCli(['logs', 'show', '--json'], { dir, env: { AUTOMAKE_LOG_MAX_TOTAL_SIZE: '25K' } });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(logs.map((file) => fs.existsSync(file)), [false, false, false, true, true]);
  });

  test('logs show prints the total against the budget and marks a log that reached the size limit', async (t) => {
    const dir = tempDir(t);
    const [small, big] = [plantEndedLog(dir, 'small\n'), plantEndedLog(dir, 'b'.repeat(64 * KIB - 1) + '\n')];
    const env = { AUTOMAKE_LOG_MAX_SESSION_SIZE: '64K', AUTOMAKE_LOG_MAX_TOTAL_SIZE: '10M' };
    const table = await runCli(['logs', 'show'], { dir, env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Session logs in .*, newest first \(64 KiB in all, of a 10 MiB budget\):$/m);
    assert.match(table.stdout, new RegExp(`^${path.basename(big)} .* 64 KiB \\(size limit\\) `, 'm'));
    assert.doesNotMatch(table.stdout.split('\n').find((line) => line.startsWith(path.basename(small))) ?? '', /size limit/);
    const json = await runCli(['logs', 'show', '--json'], { dir, env });
    const entries = JSON.parse(json.stdout) as { file: string; bytes: number; sizeLimitReached: boolean }[];
    const byFile = Object.fromEntries(entries.map((entry) => [entry.file, entry]));
    assert.deepEqual([byFile[path.basename(big)].bytes, byFile[path.basename(big)].sizeLimitReached], [64 * KIB, true]);
    assert.deepEqual([byFile[path.basename(small)].bytes, byFile[path.basename(small)].sizeLimitReached], [6, false]);
  });

  test('logs config shows the three sizes and where each came from', async (t) => {
    const dir = tempDir(t);
    const run = await runCli(['logs', 'config'], { dir, env: { AUTOMAKE_LOG_MAX_TOTAL_SIZE: '80M', AUTOMAKE_LOG_MIN_FREE: 'lots' } });
    assert.equal(run.code, 0, run.stderr);
    const rows = Object.fromEntries(run.stdout.trim().split('\n').slice(1).map((line) => {
      const [setting, value, source] = line.split(/ {2,}/);
      return [setting, { value, source }];
    }));
    assert.deepEqual(rows['max total size'], { value: '80 MiB', source: 'environment (AUTOMAKE_LOG_MAX_TOTAL_SIZE)' });
    assert.deepEqual(rows['max session size'], { value: '10 MiB', source: 'default (one eighth of max total size)' });
    assert.match(rows['min free space'].source, /^default \(AUTOMAKE_LOG_MIN_FREE="lots" is not valid\)$/);
    assert.match(run.stderr, /AUTOMAKE_LOG_MIN_FREE="lots": not a valid value; using the default \d+ [KMG]iB/);
  });

  test('logs prune --max-total deletes the oldest ended sessions\' logs until the rest fit', async (t) => {
    const dir = tempDir(t);
    const logs = plantLogs(dir, 4, 10 * KIB);
    const run = await runCli(['logs', 'prune', '--max-total', '25KiB'], { dir });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.match(/^Deleted \S+$/gm), logs.slice(0, 2).map((file) => `Deleted ${path.basename(file)}`));
    assert.match(run.stdout, /^Deleted 2 session logs older than 7 days or over the 25 KiB budget; 2 kept, 20 KiB in all$/m);
    assert.deepEqual(logs.map((file) => fs.existsSync(file)), [false, false, true, true]);
  });

  test('logs prune --max-total with a bad size is a one-line usage error naming it, and deletes nothing', async (t) => {
    const dir = tempDir(t);
    const logs = plantLogs(dir, 2, KIB);
    const run = await runCli(['logs', 'prune', '--max-total', '1.5G'], { dir });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^automake: Invalid value for --max-total: 1\.5G \(expected a size such as 500M, 2G or unlimited\)\nUsage: automake logs prune /);
    assert.ok(logs.every((file) => fs.existsSync(file)));
  });
});
