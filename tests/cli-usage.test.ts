/**
 * How the command line is called (docs/design.md §5): `--version`, `--help` and
 * `help <command>`, usage errors refused with exit code 2 and the usage, and
 * `npm start -- <command>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, startChild } from './helpers/child.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { logNames, tempDir } from './helpers/log-files.ts';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('command-line usage', { concurrency: true }, () => {
  test('--version prints the version in package.json', async (t) => {
    const result = await runCli(['--version'], { dir: tempDir(t) });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `automake ${VERSION}\n`);
  });

  test('--help lists every command on stdout', async (t) => {
    const result = await runCli(['--help'], { dir: tempDir(t) });
    assert.equal(result.code, 0);
    for (const command of ['exec -- CMD', 'logs [show]', 'logs view', 'logs prune', 'logs clear', 'logs config', 'help [COMMAND]']) {
      assert.ok(result.stdout.includes(command), `--help mentions ${command}`);
    }
  });

  test('help <command> and <command> --help print that command\'s usage', async (t) => {
    const dir = tempDir(t);
    const [viaHelp, viaFlag, exec] = await Promise.all([
      runCli(['help', 'logs', 'view'], { dir }),
      runCli(['logs', 'view', '--help'], { dir }),
      runCli(['exec', '--help'], { dir }),
    ]);
    assert.equal(viaHelp.code, 0);
    assert.match(viaHelp.stdout, /^Usage: automake logs view \[PID\|FILE\|--all\] \[-n N\] \[-f\] \[--level LEVEL\] /);
    assert.equal(viaFlag.stdout, viaHelp.stdout);
    assert.match(exec.stdout, /^Usage: automake exec -- CMD/);
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
      const result = await runCli(args, { dir: tempDir(t) });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, '');
      const [first, second] = result.stderr.split('\n');
      assert.ok(first.startsWith(`automake: ${error}`), `first line: ${first}`);
      assert.ok(second.startsWith(`Usage: ${usage}`), `second line: ${second}`);
    });
  }

  test('npm start -- <command> runs the command line', async (t) => {
    const dir = tempDir(t);
    const npm = ['npm', 'start', '--silent', '--', 'exec', '--', 'echo', 'via npm'];
    const { code, stdout } = await startChild(npm, { env: cliEnv({ dir }), input: '' }).done;
    assert.equal(code, 0);
    assert.equal(stdout, 'via npm\n');
    const logs = logNames(dir);
    assert.equal(logs.length, 1);
    assert.match(fs.readFileSync(path.join(dir, logs[0]), 'utf8'), / - automake\.exec\.stdout - INFO - via npm\n/);
  });
});
