/**
 * The command line's settings (docs/design.md §5): `logs config` shows each one and
 * where it came from; a bad environment value is reported and does not stop a
 * command; a log directory that cannot be created disables logging, not the command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/cli.ts';
import { logNames, tempDir } from './helpers/log-files.ts';

describe('command-line settings', { concurrency: true }, () => {
  test('logs config shows each setting and where it came from', async (t) => {
    const dir = tempDir(t);
    const result = await runCli(['logs', 'config'], { dir, env: { AUTOMAKE_LOG_FORMAT: 'json', AUTOMAKE_LOG_LEVEL: 'loud', AUTOMAKE_LOG_REDACT: 'off' } });
    assert.equal(result.code, 0);
    const rows = Object.fromEntries(
      result.stdout.trim().split('\n').slice(1).map((line) => {
        const [setting, value, source] = line.split(/ {2,}/);
        return [setting, { value, source }];
      }),
    );
    assert.deepEqual(rows.directory, { value: dir, source: 'environment (AUTOMAKE_LOG_DIR)' });
    assert.deepEqual(rows.format, { value: 'json', source: 'environment (AUTOMAKE_LOG_FORMAT)' });
    assert.deepEqual(rows.level, { value: 'INFO', source: 'default (AUTOMAKE_LOG_LEVEL="loud" is not valid)' });
    assert.deepEqual(rows.retention, { value: '7 days', source: 'default' });
    assert.deepEqual(rows['file pattern'], { value: 'automake_YYYY-MM-DD_PID[-N].log', source: 'default' });
    assert.deepEqual(rows.redaction, { value: 'off', source: 'environment (AUTOMAKE_LOG_REDACT)' });
  });

  test('a bad environment value does not stop a command, and is reported on stderr and in the log', async (t) => {
    const dir = tempDir(t);
    const result = await runCli(['exec', '--', 'echo', 'hi'], { dir, env: { AUTOMAKE_LOG_RETENTION_DAYS: 'soon' } });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'hi\n');
    assert.match(result.stderr, /AUTOMAKE_LOG_RETENTION_DAYS="soon"/);
    const [log] = logNames(dir);
    assert.match(fs.readFileSync(path.join(dir, log), 'utf8').split('\n')[1], / - WARNING - Ignoring AUTOMAKE_LOG_RETENTION_DAYS="soon"/, 'right after the header');
  });

  test('a log directory that cannot be created disables logging in one line on stderr, and every command still does its job', async (t) => {
    const parent = tempDir(t);
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, '');
    const dir = path.join(file, 'logs');
    const [exec, show, help, config] = await Promise.all([
      runCli(['exec', '--', 'sh', '-c', 'echo hi; exit 3'], { dir }),
      runCli(['logs', 'show'], { dir }),
      runCli(['--help'], { dir }),
      runCli(['logs', 'config'], { dir }),
    ]);
    const disabled = /^automake: logging disabled: Cannot create log directory .*a-file\/logs: .*\n/;
    for (const result of [exec, show, help, config]) assert.match(result.stderr, disabled);
    assert.equal(exec.code, 3);
    assert.equal(exec.stdout, 'hi\n');
    assert.equal(exec.stderr.split('\n').length, 2, exec.stderr);
    // Nothing to list where there is no directory: that is the error.
    assert.equal(show.code, 1);
    assert.equal(show.stdout, '');
    assert.match(show.stderr, /\nautomake: Cannot read log directory .*a-file\/logs: /);
    assert.equal(help.code, 0);
    // The settings that explain the problem.
    assert.equal(config.code, 0);
    assert.ok(config.stdout.includes(dir));
  });

});
