/**
 * The command line as a whole (design.md §5): help and version, usage errors,
 * `logs config`, and what happens when the environment is wrong.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { localDate, logNames, makeLogDir, plantEndedLog, ROOT, runCli } from './helpers/cli.ts';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('command line', { concurrency: true }, () => {
  test('a look-only command leaves no empty log behind; exec keeps its log', async (t) => {
    const dir = makeLogDir(t);
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
    const dir = makeLogDir(t);
    const result = await runCli(['logs', 'show'], { dir, env: { AUTOMAKE_LOG_LEVEL: 'loud' } });
    assert.equal(result.code, 0, result.stderr);
    const names = logNames(dir);
    assert.equal(names.length, 1, 'the log is kept');
    const text = fs.readFileSync(path.join(dir, names[0]), 'utf8');
    assert.match(text, /- automake - WARNING - Ignoring AUTOMAKE_LOG_LEVEL="loud": not a valid value; using the default INFO\n/);
  });

  test('--version prints the version in package.json', async (t) => {
    const result = await runCli(['--version'], { dir: makeLogDir(t) });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `automake ${VERSION}\n`);
  });

  test('--help lists every command on stdout', async (t) => {
    const result = await runCli(['--help'], { dir: makeLogDir(t) });
    assert.equal(result.code, 0);
    for (const command of ['exec -- CMD', 'logs [show]', 'logs view', 'logs prune', 'logs clear', 'logs config', 'help [COMMAND]']) {
      assert.ok(result.stdout.includes(command), `--help mentions ${command}`);
    }
  });

  test('help <command> and <command> --help print that command\'s usage', async (t) => {
    const dir = makeLogDir(t);
    const [viaHelp, viaFlag, exec] = await Promise.all([
      runCli(['help', 'logs', 'view'], { dir }),
      runCli(['logs', 'view', '--help'], { dir }),
      runCli(['exec', '--help'], { dir }),
    ]);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /^Usage: automake logs view \[PID\|FILE\] \[-n N\] \[-f\]\n/);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
    assert.match(exec.stdout, /^Usage: automake exec -- CMD/);
  });

  test('help, show and config leave no log of their own behind', async (t) => {
    const dir = makeLogDir(t);
    const kept = plantEndedLog(dir, 'an earlier session\n');
    await runCli(['--help'], { dir });
    await runCli(['logs', 'show'], { dir });
    await runCli(['logs', 'config'], { dir });
    await runCli(['logs', 'view'], { dir });
    assert.deepEqual(logNames(dir), [path.basename(kept)]);
  });

  const badInputs: { args: string[]; error: string; usage: string }[] = [
    { args: [], error: 'Missing command', usage: 'automake <command>' },
    { args: ['frobnicate'], error: 'Unknown command: frobnicate', usage: 'automake <command>' },
    { args: ['--frobnicate'], error: 'Unknown flag: --frobnicate', usage: 'automake <command>' },
    { args: ['help', 'nope'], error: 'Unknown command: nope', usage: 'automake help' },
    { args: ['exec'], error: 'Missing command to run', usage: 'automake exec' },
    { args: ['exec', '--'], error: 'Missing command to run', usage: 'automake exec' },
    { args: ['exec', '--bogus', '--', 'true'], error: 'Unknown flag: --bogus', usage: 'automake exec' },
    { args: ['logs', 'frobnicate'], error: 'Unknown command: logs frobnicate', usage: 'automake logs' },
    { args: ['logs', 'show', '--foo'], error: 'Unknown flag: --foo', usage: 'automake logs show' },
    { args: ['logs', '--foo'], error: 'Unknown flag: --foo', usage: 'automake logs show' },
    { args: ['logs', 'view', '-n', 'abc'], error: 'Invalid value for -n: abc', usage: 'automake logs view' },
    { args: ['logs', 'view', '--lines=-3'], error: 'Invalid value for --lines: -3', usage: 'automake logs view' },
    { args: ['logs', 'view', '-n'], error: 'Missing value for -n', usage: 'automake logs view' },
    { args: ['logs', 'view', '../../etc/passwd'], error: 'File is outside the log directory: ../../etc/passwd', usage: 'automake logs view' },
    { args: ['logs', 'view', '/etc/passwd'], error: 'File is outside the log directory: /etc/passwd', usage: 'automake logs view' },
    { args: ['logs', 'view', 'passwd'], error: 'Not a session log name: passwd', usage: 'automake logs view' },
    { args: ['logs', 'view', 'automake_2020-01-01_1.log'], error: 'No such session log: automake_2020-01-01_1.log', usage: 'automake logs view' },
    { args: ['logs', 'view', '4194304'], error: 'No session log for PID: 4194304', usage: 'automake logs view' },
    { args: ['logs', 'view', 'a', 'b'], error: 'Unexpected argument: b', usage: 'automake logs view' },
    { args: ['logs', 'prune', '--retention-days', '0'], error: 'Invalid value for --retention-days: 0', usage: 'automake logs prune' },
    { args: ['logs', 'prune', '--retention-days', 'abc'], error: 'Invalid value for --retention-days: abc', usage: 'automake logs prune' },
    { args: ['logs', 'clear', '--yes=1'], error: 'Flag takes no value: --yes=1', usage: 'automake logs clear' },
  ];

  for (const { args, error, usage } of badInputs) {
    test(`"${args.join(' ')}" is refused with exit code 2, a one-line error and the usage`, async (t) => {
      const result = await runCli(args, { dir: makeLogDir(t) });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      const [first, second] = result.stderr.split('\n');
      assert.ok(first.startsWith(`automake: ${error}`), `first line: ${first}`);
      assert.ok(second.startsWith(`Usage: ${usage}`), `second line: ${second}`);
    });
  }

  test('a symlink named like a log is never followed, read or deleted', async (t) => {
    const dir = makeLogDir(t);
    const secretDir = makeLogDir(t);
    const secret = path.join(secretDir, 'secret.txt');
    fs.writeFileSync(secret, 'the secret\n');
    const name = `automake_${localDate()}_4194304.log`;
    fs.symlinkSync(secret, path.join(dir, name));
    const view = await runCli(['logs', 'view', name], { dir });
    assert.equal(view.code, 2);
    assert.ok(!view.stdout.includes('the secret'));
    const clear = await runCli(['logs', 'clear', '--yes'], { dir });
    assert.equal(clear.code, 0);
    assert.ok(fs.lstatSync(path.join(dir, name)).isSymbolicLink(), 'the symlink is still there');
    assert.equal(fs.readFileSync(secret, 'utf8'), 'the secret\n');
  });

  test('logs config shows each setting and where it came from', async (t) => {
    const dir = makeLogDir(t);
    const result = await runCli(['logs', 'config'], { dir, env: { AUTOMAKE_LOG_FORMAT: 'json', AUTOMAKE_LOG_LEVEL: 'loud' } });
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
    assert.deepEqual(rows['file pattern'], { value: 'automake_YYYY-MM-DD_PID.log', source: 'default' });
  });

  test('a bad environment value does not stop a command, and is reported on stderr and in the log', async (t) => {
    const dir = makeLogDir(t);
    const result = await runCli(['exec', '--', 'echo', 'hi'], { dir, env: { AUTOMAKE_LOG_RETENTION_DAYS: 'soon' } });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'hi\n');
    assert.match(result.stderr, /AUTOMAKE_LOG_RETENTION_DAYS="soon"/);
    const [log] = logNames(dir);
    assert.match(fs.readFileSync(path.join(dir, log), 'utf8').split('\n')[0], / - WARNING - Ignoring AUTOMAKE_LOG_RETENTION_DAYS="soon"/);
  });

  test('a log directory that cannot be created is a one-line error with exit code 1', async (t) => {
    const parent = makeLogDir(t);
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, '');
    const dir = path.join(file, 'logs');
    const [exec, show, help, config] = await Promise.all([
      runCli(['exec', '--', 'echo', 'hi'], { dir }),
      runCli(['logs', 'show'], { dir }),
      runCli(['--help'], { dir }),
      runCli(['logs', 'config'], { dir }),
    ]);
    for (const result of [exec, show]) {
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^automake: Cannot create log directory .*a-file\/logs: .*\n$/);
    }
    // Help, and the settings that explain the problem, still work.
    assert.equal(help.code, 0);
    assert.equal(config.code, 1);
    assert.ok(config.stdout.includes(dir));
    assert.match(config.stderr, /^automake: Cannot create log directory/);
  });

  test('npm start -- <command> runs the command line', async (t) => {
    const dir = makeLogDir(t);
    const child = spawn('npm', ['start', '--silent', '--', 'exec', '--', 'echo', 'via npm'], {
      cwd: ROOT,
      env: { ...process.env, AUTOMAKE_LOG_DIR: dir },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (data: string) => (stdout += data));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(stdout, 'via npm\n');
    const logs = logNames(dir);
    assert.equal(logs.length, 1);
    assert.match(fs.readFileSync(path.join(dir, logs[0]), 'utf8'), / - automake\.exec\.stdout - INFO - via npm\n/);
  });
});
