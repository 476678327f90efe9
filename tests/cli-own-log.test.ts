/**
 * The command line's own session log (design.md §5): a command that only looks
 * at logs leaves no empty log of its own behind; a log that holds a record is kept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.ts';
import { logNames, plantEndedLog, tempDir } from './helpers/log-files.ts';

describe('the command line\'s own log', { concurrency: true }, () => {
  test('a look-only command leaves no empty log behind; exec keeps its log', async (t) => {
    const dir = tempDir(t);
    for (const args of [['logs', 'show'], ['logs', 'config'], ['logs', 'prune']]) {
      const result = await runCli(args, { dir });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    }
    assert.deepEqual(logNames(dir), [], 'no empty logs of looking at logs');
    const exec = await runCli(['exec', '--', 'true'], { dir });
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(logNames(dir).length, 1, 'exec keeps its log');
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
