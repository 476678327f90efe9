/**
 * The README's command-line section is real output (docs/design.md §10): every
 * `$ automake …` line of its console block is run, in order, against a fresh log
 * directory, and what it prints must have the README's shape: the same lines, with
 * times, dates, PIDs, sizes and paths allowed to differ.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers/child.ts';
import { runCli } from './helpers/cli.ts';
import { tempDir } from './helpers/log-files.ts';

const README_DIR = '~/.local/state/automake/logs';

/** The `$ automake …` commands of the README's command-line section, each with the output the README shows. */
function readmeSession(): { args: string[]; shown: string[] }[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## The command line\n'), readme.indexOf('\n## ', readme.indexOf('\n## The command line\n') + 1));
  const block = /```console\n([\s\S]*?)```/.exec(section);
  assert.ok(block !== null, 'the command-line section has a console block');
  const commands: { args: string[]; shown: string[] }[] = [];
  for (const line of block[1]!.split('\n').slice(0, -1)) {
    if (line.startsWith('$ automake ')) commands.push({ args: shellWords(line.slice('$ automake '.length)), shown: [] });
    else commands.at(-1)!.shown.push(line);
  }
  return commands;
}

/** A command line split as a POSIX shell splits words in single quotes, double quotes and plain text. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** A line with what differs from run to run made alike: the log directory, times, sizes, numbers, and column padding. */
function shape(line: string, dir: string): string {
  return line
    .split(dir).join(README_DIR)
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d,\d{3})?/g, 'TIME')
    .replace(/_\d{4}-\d\d-\d\d_\d+(-\d+)?\.log/g, '_DATE_PID.log')
    .replace(/\d+(\.\d+)? (B|KiB|MiB|GiB)\b/g, 'SIZE')
    .replace(/\d+(\.\d+)?/g, '9')
    .replace(/\s+/g, ' ')
    .trim();
}

test('every command of the README\'s command-line section prints what the README shows', async (t) => {
  const dir = path.join(tempDir(t), 'logs');
  const session = readmeSession();
  assert.ok(session.length >= 5, 'the README shows a session of commands');
  for (const { args, shown } of session) {
    // The README shows the defaults of an ordinary machine: no free-space rule forced, no budget set.
    const result = await runCli(args, { dir, env: { AUTOMAKE_LOG_MIN_FREE: undefined }, timeoutMs: 60_000 });
    const printed = result.stdout.split('\n').slice(0, -1);
    assert.deepEqual(
      printed.map((line) => shape(line, dir)).filter((line) => !line.startsWith('directory ') && !line.startsWith('min free space ')),
      shown.map((line) => shape(line, dir)).filter((line) => !line.startsWith('directory ') && !line.startsWith('min free space ')),
      `automake ${args.join(' ')}`,
    );
  }
});
