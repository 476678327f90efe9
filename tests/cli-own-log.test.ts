/**
 * The command line's own session log (docs/design.md §10 "No clutter"): a command
 * other than exec keeps its log only if it logged a WARNING or worse; the
 * Ctrl-C that ends `logs view -f` does not count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startCli } from './helpers/cli.ts';
import { logNames, plantEndedLog, tempDir } from './helpers/log-files.ts';
import { END_RECORD } from './helpers/records.ts';

describe('the command line\'s own log', { concurrency: true }, () => {
  test('a command that logged nothing worse than INFO leaves no log behind; exec keeps its log', async (t) => {
    const dir = tempDir(t);
    plantEndedLog(dir, 'an ended session\n');
    // clear logs an INFO record for the log it deletes.
    const clear = await runCli(['logs', 'clear', '--yes'], { dir });
    assert.match(clear.stdout, /^Deleted 1 log of ended sessions$/m);
    const planted = plantEndedLog(dir, 'an earlier session\n');
    for (const args of [['logs', 'show'], ['logs', 'config'], ['logs', 'prune'], ['logs', 'view', '--all'], ['--version'], ['logs', 'view', '--level', 'loud']]) {
      const result = await runCli(args, { dir });
      assert.ok(result.code === 0 || result.code === 2, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.deepEqual(logNames(dir), [path.basename(planted)], 'no logs of looking at logs');
    const exec = await runCli(['exec', '--', 'true'], { dir });
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(logNames(dir).length, 2, 'exec keeps its log');
  });

  test('a command whose log holds a record keeps it: a warning about the environment is never deleted', async (t) => {
    const dir = tempDir(t);
    const result = await runCli(['logs', 'show'], { dir, env: { AUTOMAKE_LOG_LEVEL: 'loud' } });
    assert.equal(result.code, 0, result.stderr);
    const names = logNames(dir);
    assert.equal(names.length, 1, 'the log is kept');
    const text = fs.readFileSync(path.join(dir, names[0]), 'utf8');
    assert.match(text, /- automake - WARNING - Ignoring AUTOMAKE_LOG_LEVEL="loud": not a valid value; using the default INFO\n/);
  });

  test('a command that failed keeps its log, whose end record says how it ended', async (t) => {
    const dir = tempDir(t);
    // Nothing to view: an error, logged.
    const result = await runCli(['logs', 'view'], { dir });
    assert.equal(result.code, 1);
    const names = logNames(dir);
    assert.equal(names.length, 1, 'the log is kept');
    const lines = fs.readFileSync(path.join(dir, names[0]), 'utf8').trimEnd().split('\n');
    assert.match(lines.at(-2)!, / - automake - ERROR - No session logs to view in /);
    assert.match(lines.at(-1)!, END_RECORD);
    assert.match(lines.at(-1)!, / exitCode=1 /);
  });

  test('logs view -f ended by Ctrl-C leaves no log: the interrupt does not count', async (t) => {
    const dir = tempDir(t);
    const planted = path.join(dir, `automake_2026-01-01_${process.pid}.log`);
    fs.writeFileSync(planted, '2026-01-01 00:00:00,000 - automake - INFO - followed\n', { mode: 0o600 });
    const follower = startCli(['logs', 'view', '-f'], { dir });
    await follower.waitForStdout('followed\n');
    follower.child.kill('SIGINT');
    const result = await follower.done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(logNames(dir), [path.basename(planted)]);
  });

  test('help, show and config leave no log of their own behind', async (t) => {
    const dir = tempDir(t);
    const kept = plantEndedLog(dir, 'an earlier session\n');
    await runCli(['--help'], { dir });
    await runCli(['logs', 'show'], { dir });
    await runCli(['logs', 'config'], { dir });
    await runCli(['logs', 'view'], { dir });
    assert.deepEqual(logNames(dir), [path.basename(kept)]);
  });
});
