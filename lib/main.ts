#!/usr/bin/env tsx
/**
 * The automake command line (docs/design.md §5): run a command as a logged session,
 * and find, read, follow and clean session logs. This file opens the run's
 * logging, dispatches to the commands in lib/cli/, reports their errors and
 * closes the log.
 *
 *   npx tsx lib/main.ts exec -- make test
 *   npx tsx lib/main.ts logs view -f
 */
import * as fs from 'node:fs';
import { parseCommandArgs } from './cli/args.ts';
import { CommandError, UsageError } from './cli/errors.ts';
import { execCommand } from './cli/exec.ts';
import { hasHelp, printHelp, usageText } from './cli/help.ts';
import { logsClearCommand } from './cli/logs-clear.ts';
import { logsConfigCommand } from './cli/logs-config.ts';
import { logsPruneCommand } from './cli/logs-prune.ts';
import { logsShowCommand } from './cli/logs-show.ts';
import { logsViewCommand } from './cli/logs-view.ts';
import { printStderr } from './cli/output.ts';
import { endRun, needRun, openRun, runLogger, settingWarnings, type Opened } from './cli/run.ts';

// First of all, as docs/design.md §5 requires: this prunes old logs and opens this run's own.
const opened = openRun(cliVersion());

async function main(argv: string[]): Promise<number> {
  // A closed pipe (`automake logs view | head -1`) ends output, not the program.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // Logging never stops a command from doing its job (docs/design.md §7): say why there is no log, once, and go on.
  if ('setupError' in opened) printStderr(`logging disabled: ${opened.setupError.message}`);
  // Bad values in the environment are logged by the core; say so where the user looks too.
  for (const warning of settingWarnings(opened)) printStderr(warning);
  let exitCode: number;
  try {
    exitCode = await dispatch(argv, opened);
  } catch (error) {
    exitCode = reportError(error, opened);
  }
  if ('run' in opened) await endRun(opened.run, exitCode, argv[0]);
  return exitCode;
}

async function dispatch(argv: string[], opened: Opened): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) throw new UsageError('Missing command', '');
  if (command === 'exec') return execCommand(args, runLogger(opened).child('exec'), 'run' in opened ? opened.run.session.settings.maxSessionBytes.value : Infinity);
  if (command === 'logs') return logsCommand(args, opened);
  if (command === 'help') return helpCommand(args);
  if (command.startsWith('-')) return programFlags(argv);
  throw new UsageError(`Unknown command: ${command}`, '');
}

/** `logs [SUBCOMMAND] ...`: every subcommand but `config` needs the log directory. */
async function logsCommand(args: string[], opened: Opened): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') return printHelp('logs');
  // Plain `logs`, or `logs --json`: the listing.
  if (subcommand === undefined || subcommand.startsWith('-')) return logsShowCommand(args, needRun(opened));
  switch (subcommand) {
    case 'show': return logsShowCommand(rest, needRun(opened));
    case 'view': return logsViewCommand(rest, needRun(opened));
    case 'prune': return logsPruneCommand(rest, needRun(opened));
    case 'clear': return logsClearCommand(rest, needRun(opened));
    case 'config': return logsConfigCommand(rest, opened);
  }
  throw new UsageError(`Unknown command: logs ${subcommand}`, 'logs');
}

/** A bad command line: its message and usage, exit code 2. A failure: its message, logged too, exit code 1. */
function reportError(error: unknown, opened: Opened): number {
  if (error instanceof UsageError) {
    printStderr(error.message, usageText(error.command));
    return 2;
  }
  if (error instanceof CommandError) {
    printStderr(error.message);
    if ('run' in opened) opened.run.session.logger.error(error.message);
    return 1;
  }
  throw error;
}

/** `--help` and `--version`. */
function programFlags(argv: string[]): number {
  const { values } = parseCommandArgs(argv, { version: { type: 'boolean' } }, '', 0);
  if (values.help) return printHelp('');
  if (values.version) {
    process.stdout.write(`automake ${cliVersion()}\n`);
    return 0;
  }
  throw new UsageError('Missing command', '');
}

/** This command line's version, from package.json (beside lib/ and beside dist/ alike). */
function cliVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** `help [COMMAND]`. */
function helpCommand(args: string[]): number {
  const command = args.join(' ');
  if (!hasHelp(command)) throw new UsageError(`Unknown command: ${command}`, 'help');
  return printHelp(command);
}

// Last, so that every constant above is initialized before a command runs.
void main(process.argv.slice(2)).then((exitCode) => {
  process.exitCode = exitCode;
});
