/**
 * `automake exec -- CMD`: a command run as a logged session, its output on the
 * terminal unchanged and in the log line by line, its end and its signals.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AS_NOBODY } from './helpers/child.ts';
import { cannotRunAsNobody, HAS_SCRIPT, runCli, startCli, startCliOnTerminal } from './helpers/cli.ts';
import { logOf, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, TEXT_RECORD } from './helpers/records.ts';

/** The records of a text log as [logger, level, message]. */
function recordsOf(file: string): [string, string, string][] {
  // The session's own header and end records (docs/design.md §9) are tested in session-records.test.ts.
  return bodyLines(fileLines(file)).map((line) => {
    const match = TEXT_RECORD.exec(line);
    assert.ok(match, `a record: ${line}`);
    return [match[8], match[9], match[10]];
  });
}

describe('exec', { concurrency: true }, () => {
  test('exec passes stdout and stderr through unchanged and exits with the command\'s code', async (t) => {
    const script = 'printf "out 1\\nout 2\\n"; printf "err 1\\n" >&2; exit 3';
    const result = await runCli(['exec', '--', 'sh', '-c', script], { dir: tempDir(t) });
    assert.equal(result.code, 3);
    assert.equal(result.stdout, 'out 1\nout 2\n');
    assert.equal(result.stderr, 'err 1\n');
  });

  test('exec logs the command line, the working directory, each line under its stream and level, and the exit code', async (t) => {
    const dir = tempDir(t);
    const cwd = tempDir(t);
    const running = startCli(['exec', '--', 'sh', '-c', 'echo "to out"; echo "to err" >&2; exit 4', 'my arg'], { dir, cwd });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.code, 4);
    const records = recordsOf(logOf(dir, running.pid));
    assert.deepEqual(records[0], ['automake.exec', 'INFO', `Running: sh -c 'echo "to out"; echo "to err" >&2; exit 4' 'my arg' cwd=${cwd}`]);
    assert.deepEqual(records.find((r) => r[0] === 'automake.exec.stdout'), ['automake.exec.stdout', 'INFO', 'to out']);
    assert.deepEqual(records.find((r) => r[0] === 'automake.exec.stderr'), ['automake.exec.stderr', 'WARNING', 'to err']);
    const [logger, level, message] = records.at(-1)!;
    assert.equal(logger, 'automake.exec');
    assert.equal(level, 'WARNING');
    assert.match(message, /^Command exited with code 4 after [\d.]+s exitCode=4 commandPid=\d+ durationMs=\d+$/);
  });

  test('exec logs a last line that has no newline, and the terminal gets it as it was', async (t) => {
    const dir = tempDir(t);
    const running = startCli(['exec', '--', 'printf', 'first\\nno newline'], { dir });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.stdout, 'first\nno newline');
    const lines = recordsOf(logOf(dir, running.pid)).filter((r) => r[0] === 'automake.exec.stdout').map((r) => r[2]);
    assert.deepEqual(lines, ['first', 'no newline']);
  });

  test('exec logs its command line and output with secrets redacted (design §8), and the terminal gets them as they were', async (t) => {
    const dir = tempDir(t);
    const token = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
    const script = `echo "GITHUB_TOKEN=${token}"; echo "mysql -u root -pHunter2 shop" >&2`;
    const running = startCli(['exec', '--', 'sh', '-c', script, '--token=abc123'], { dir });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `GITHUB_TOKEN=${token}\n`);
    assert.equal(result.stderr, 'mysql -u root -pHunter2 shop\n');
    const log = fs.readFileSync(logOf(dir, running.pid), 'utf8');
    for (const secret of [token, 'Hunter2', 'abc123']) assert.ok(!log.includes(secret), `${secret} is not in the log:\n${log}`);
    const records = recordsOf(logOf(dir, running.pid));
    assert.match(records[0][2], /^Running: sh -c .* --token=\[REDACTED\] cwd=/);
    assert.deepEqual(records.find((r) => r[0] === 'automake.exec.stdout'), ['automake.exec.stdout', 'INFO', 'GITHUB_TOKEN=[REDACTED]']);
    assert.deepEqual(records.find((r) => r[0] === 'automake.exec.stderr'), ['automake.exec.stderr', 'WARNING', 'mysql -u root -p[REDACTED] shop']);
  });

  test('exec passes control characters to the terminal raw and logs them escaped', async (t) => {
    const dir = tempDir(t);
    const running = startCli(['exec', '--', 'printf', '\\033[31mred\\033[0m\\n'], { dir });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.stdout, '\x1b[31mred\x1b[0m\n');
    const log = fs.readFileSync(logOf(dir, running.pid), 'utf8');
    assert.ok(!log.includes('\x1b'), 'no raw escape in the log');
    assert.ok(log.includes(' - automake.exec.stdout - INFO - \\x1b[31mred\\x1b[0m\n'));
  });

  test('exec gives the command the terminal\'s stdin', async (t) => {
    const result = await runCli(['exec', '--', 'cat'], { dir: tempDir(t), input: 'typed line\n' });
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'typed line\n');
  });

  test('exec of a command that does not exist exits 127 with a one-line error and an ERROR record', async (t) => {
    const dir = tempDir(t);
    // A PATH of one empty directory: no entry of the tester's PATH can change the answer.
    const running = startCli(['exec', '--', 'no-such-command-here', 'x'], { dir, env: { PATH: tempDir(t) } });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.code, 127);
    assert.equal(result.stderr, 'automake: Cannot run no-such-command-here: command not found\n');
    const error = recordsOf(logOf(dir, running.pid)).find((r) => r[1] === 'ERROR');
    assert.deepEqual(error, ['automake.exec', 'ERROR', 'Cannot run no-such-command-here: command not found code=ENOENT exitCode=127']);
  });

  test('exec of a command that PATH holds but that is not executable exits 126, as in bash', async (t) => {
    const dir = tempDir(t);
    const bin = tempDir(t);
    fs.writeFileSync(path.join(bin, 'my-tool'), '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const result = await runCli(['exec', '--', 'my-tool'], { dir, env: { PATH: `${tempDir(t)}:${bin}` } });
    assert.equal(result.code, 126);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, 'automake: Cannot run my-tool: permission denied\n');
  });

  test('a directory in PATH that cannot be entered does not make a missing command "permission denied": 127, as in bash', async (t) => {
    const why = cannotRunAsNobody();
    if (why !== undefined) return t.skip(why);
    const dir = tempDir(t);
    // nobody's own: a log directory other users can write to would be refused (docs/design.md §7).
    fs.chownSync(dir, 65534, 65534);
    // 0700 and root's: nobody's search of PATH fails there with EACCES, and finds nothing after it.
    const locked = tempDir(t);
    const running = startCli(['exec', '--', 'no-such-command-here'], { dir, env: { PATH: `${locked}:${tempDir(t)}` }, runAs: AS_NOBODY });
    running.child.stdin.end();
    const result = await running.done;
    assert.equal(result.code, 127);
    assert.equal(result.stderr, 'automake: Cannot run no-such-command-here: command not found\n');
    const error = recordsOf(logOf(dir, running.pid)).find((r) => r[1] === 'ERROR');
    // EACCES: the case under test, not a plain ENOENT.
    assert.deepEqual(error, ['automake.exec', 'ERROR', 'Cannot run no-such-command-here: command not found code=EACCES exitCode=127']);
  });

  test('exec of a file that is not executable exits 126', async (t) => {
    const dir = tempDir(t);
    const script = path.join(tempDir(t), 'not-executable.sh');
    fs.writeFileSync(script, '#!/bin/sh\necho ran\n', { mode: 0o644 });
    const result = await runCli(['exec', '--', script], { dir });
    assert.equal(result.code, 126);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `automake: Cannot run ${script}: permission denied\n`);
  });

  test('a SIGINT reaches the command first; exec waits for it, logs the interruption and exits with its code', async (t) => {
    const dir = tempDir(t);
    const script = 'trap "echo cleaning up; exit 5" INT; echo ready; while :; do sleep 0.05; done';
    const running = startCli(['exec', '--', 'sh', '-c', script], { dir });
    await running.waitForStdout('ready\n');
    running.child.kill('SIGINT');
    const result = await running.done;
    assert.equal(result.code, 5);
    assert.equal(result.stdout, 'ready\ncleaning up\n');
    const records = recordsOf(logOf(dir, running.pid));
    assert.ok(records.some((r) => r[2] === 'cleaning up'), 'the output after the signal is logged');
    assert.match(records.at(-1)![2], /^Interrupted by SIGINT: the command exited with code 5 after /);
  });

  test('a command killed by a signal makes exec exit 128+N, as a shell does', async (t) => {
    const dir = tempDir(t);
    const running = startCli(['exec', '--', 'sh', '-c', 'echo ready; exec sleep 30'], { dir });
    await running.waitForStdout('ready\n');
    running.child.kill('SIGTERM');
    const result = await running.done;
    assert.equal(result.code, 128 + 15);
    const last = recordsOf(logOf(dir, running.pid)).at(-1)!;
    assert.match(last[2], /^Interrupted by SIGTERM: the command was killed by SIGTERM after .* signal=SIGTERM/);
  });

  test('Ctrl-C on a terminal ends the command and the log records the interruption', { skip: !HAS_SCRIPT && 'needs util-linux script' }, async (t) => {
    const dir = tempDir(t);
    const running = startCliOnTerminal(['exec', '--', 'sh', '-c', 'echo ready; exec sleep 30'], { dir });
    await running.waitForStdout('ready');
    // ETX is what the Ctrl-C key sends; the terminal turns it into SIGINT for the foreground group.
    // The input stays open: at its end, `script` may hang up the terminal.
    running.child.stdin.write('\x03');
    const { code, stdout: output } = await running.done;
    running.child.stdin.end();
    assert.equal(code, 130, `exit code of exec under a terminal; it printed: ${JSON.stringify(output)}`);
    const [log] = fs.readdirSync(dir);
    assert.match(fs.readFileSync(path.join(dir, log), 'utf8'), / - WARNING - Interrupted by SIGINT: the command was killed by SIGINT/);
  });

  test('exec does not wait for a background process that keeps the output open', async (t) => {
    const dir = tempDir(t);
    // The background process prints its PID and outlives exec by far: exec must
    // end while it still runs (no bound on time, which a loaded machine breaks).
    const running = startCli(['exec', '--', 'sh', '-c', 'sleep 120 & echo $!'], { dir });
    running.child.stdin.end();
    const result = await running.done;
    const background = Number(result.stdout.trim());
    t.after(() => {
      try {
        process.kill(background, 'SIGKILL');
      } catch {
        // Already gone.
      }
    });
    assert.equal(result.code, 0);
    assert.ok(Number.isSafeInteger(background) && background > 0, `the background PID: ${JSON.stringify(result.stdout)}`);
    assert.doesNotThrow(() => process.kill(background, 0), 'exec ended while the background process still holds its output');
    assert.match(fs.readFileSync(logOf(dir, running.pid), 'utf8'), /still holds its output open/);
  });

  test('exec closes the command\'s output when its own stdout is closed, as a shell pipeline would', async (t) => {
    const dir = tempDir(t);
    const running = startCli(['exec', '--', 'yes'], { dir });
    await running.waitForStdout('y\n');
    running.child.stdout.destroy();
    const result = await running.done;
    assert.equal(result.signal, null, 'exec was not killed by the harness timeout');
    assert.notEqual(result.code, 0);
  });
});
