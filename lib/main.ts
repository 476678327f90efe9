#!/usr/bin/env tsx
/**
 * The automake command line (design.md §5): run a command as a logged session,
 * and find, read, follow and clean session logs.
 *
 *   npx tsx lib/main.ts exec -- make test
 *   npx tsx lib/main.ts logs view -f
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  initLogging,
  LoggingSetupError,
  pruneOldLogs,
  resolveSettings,
  type LogSession,
  type LogSettings,
  type Setting,
} from './logging.ts';
import { parseCommandArgs, parseLineCount, parseRetentionDays } from './cli/args.ts';
import { CommandError, UsageError } from './cli/errors.ts';
import { runLoggedCommand } from './cli/exec.ts';
import { hasHelp, helpText, usageText } from './cli/help.ts';
import { askYesNo } from './cli/prompt.ts';
import {
  deleteEndedSessionLog,
  findSessionLog,
  listSessionLogs,
  logFilePattern,
  openSessionLog,
  pruneDueMs,
  type LogPlace,
  type SessionLog,
} from './cli/sessions.ts';
import { formatLocalTime, formatSize, formatSpan, formatTable } from './cli/table.ts';
import { followFile, readLastLines } from './cli/tail.ts';

// First of all, as design.md §5 requires: this prunes old logs and opens this run's own.
const opened = openSession();

/** This run's logging, or why it could not be set up (help and `logs config` work without it). */
type Opened = { session: LogSession } | { setupError: LoggingSetupError };

function openSession(): Opened {
  try {
    return { session: initLogging() };
  } catch (error) {
    if (error instanceof LoggingSetupError) return { setupError: error };
    throw error;
  }
}

/** What a command needs: the session, and where the logs are. */
interface Run {
  session: LogSession;
  place: LogPlace;
}

async function main(argv: string[]): Promise<number> {
  // A closed pipe (`automake logs view | head -1`) ends output, not the program.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  printEnvironmentWarnings();
  const run = 'session' in opened ? newRun(opened.session) : undefined;
  let exitCode: number;
  try {
    exitCode = await dispatch(argv, run);
  } catch (error) {
    exitCode = reportError(error, run);
  }
  if (run !== undefined) await endSession(run);
  return exitCode;
}

function newRun(session: LogSession): Run {
  const place = { dir: path.dirname(session.filePath), prefix: session.settings.prefix.value, ownPath: session.filePath };
  return { session, place };
}

/** Bad values in the environment are logged by the core; say so where the user looks too. */
function printEnvironmentWarnings(): void {
  try {
    for (const warning of resolveSettings().warnings) process.stderr.write(`automake: ${warning}\n`);
  } catch {
    // No log directory at all: the setup error says so.
  }
}

/**
 * Closes the session, and removes its log if it is still empty: listing and
 * reading logs write no record, and would otherwise fill the directory with
 * empty logs of looking at logs. A log holding any record is kept: exec's, a
 * prune's or clear's, a failure's, a warning about the environment.
 */
async function endSession(run: Run): Promise<void> {
  await run.session.close();
  try {
    if (fs.statSync(run.session.filePath).size === 0) fs.unlinkSync(run.session.filePath);
  } catch {
    // Nothing lost if it stays: an empty log, pruned in due course.
  }
}

function needRun(run: Run | undefined): Run {
  if (run === undefined) throw setupFailure();
  return run;
}

/** Why this run has no log: the one-line error for the commands that need one. */
function setupFailure(): CommandError {
  return new CommandError('setupError' in opened ? opened.setupError.message : 'Logging is not set up');
}

async function dispatch(argv: string[], run: Run | undefined): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined) throw new UsageError('Missing command', '');
  if (command === 'exec') return execCommand(args, needRun(run));
  if (command === 'logs') return logsCommand(args, run);
  if (command === 'help') return helpCommand(args);
  if (command.startsWith('-')) return programFlags(argv);
  throw new UsageError(`Unknown command: ${command}`, '');
}

async function logsCommand(args: string[], run: Run | undefined): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') return printHelp('logs');
  // Plain `logs`, or `logs --json`: the listing.
  if (subcommand === undefined || subcommand.startsWith('-')) return showCommand(args, needRun(run));
  switch (subcommand) {
    case 'show': return showCommand(rest, needRun(run));
    case 'view': return viewCommand(rest, needRun(run));
    case 'prune': return pruneCommand(rest, needRun(run));
    case 'clear': return clearCommand(rest, needRun(run));
    case 'config': return configCommand(rest, run);
  }
  throw new UsageError(`Unknown command: logs ${subcommand}`, 'logs');
}

function reportError(error: unknown, run: Run | undefined): number {
  if (error instanceof UsageError) {
    process.stderr.write(`automake: ${error.message}\n${usageText(error.command)}`);
    return 2;
  }
  if (error instanceof CommandError) {
    process.stderr.write(`automake: ${error.message}\n`);
    if (run !== undefined) {
      run.session.logger.error(error.message);
    }
    return 1;
  }
  throw error;
}

function printHelp(command: string): number {
  process.stdout.write(helpText(command));
  return 0;
}

/** Writes to stdout and waits until it is taken; false when stdout is closed. */
function writeOut(data: Buffer | string): Promise<boolean> {
  if (process.stdout.destroyed) return Promise.resolve(false);
  if (data.length === 0) return Promise.resolve(true);
  return new Promise((resolve) => process.stdout.write(data, (error) => resolve(!error)));
}

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

function programFlags(argv: string[]): number {
  const { values } = parseCommandArgs(argv, { version: { type: 'boolean' } }, '', 0);
  if (values.help) return printHelp('');
  if (values.version) {
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`automake ${pkg.version}\n`);
    return 0;
  }
  throw new UsageError('Missing command', '');
}

function helpCommand(args: string[]): number {
  const command = args.join(' ');
  if (!hasHelp(command)) throw new UsageError(`Unknown command: ${command}`, 'help');
  return printHelp(command);
}

/** `exec -- CMD [ARGS...]`; the `--` may be left out when CMD does not start with a dash. */
async function execCommand(args: string[], run: Run): Promise<number> {
  let split = args.findIndex((arg) => arg === '--' || !arg.startsWith('-'));
  if (split < 0) split = args.length;
  const { values } = parseCommandArgs(args.slice(0, split), {}, 'exec', 0);
  if (values.help) return printHelp('exec');
  const commandLine = args[split] === '--' ? args.slice(split + 1) : args.slice(split);
  if (commandLine.length === 0) throw new UsageError('Missing command to run', 'exec');
  const result = await runLoggedCommand(commandLine[0], commandLine.slice(1), run.session.logger.child('exec'));
  if (result.error !== undefined) process.stderr.write(`automake: ${result.error}\n`);
  return result.exitCode;
}

/** `logs show [--json]`: every session log but this run's own, newest first. */
async function showCommand(args: string[], run: Run): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } }, 'logs show', 0);
  if (values.help) return printHelp('logs show');
  const logs = listSessionLogs(run.place).filter((log) => !log.own);
  const retentionDays = run.session.settings.retentionDays.value;
  const now = Date.now();
  if (values.json) {
    await writeOut(JSON.stringify(logs.map((log) => sessionLogJson(log, retentionDays, now)), null, 2) + '\n');
  } else if (logs.length === 0) {
    await writeOut(`No session logs in ${run.place.dir}\n`);
  } else {
    const rows = logs.map((log) => [
      log.name, String(log.pid), formatLocalTime(log.startedMs), formatSize(log.size), formatSpan(now - log.startedMs),
      log.running ? 'running' : 'ended', pruneWhen(log, retentionDays, now),
    ]);
    const table = formatTable(['FILE', 'PID', 'STARTED', 'SIZE', 'AGE', 'STATUS', 'PRUNED'], rows, new Set([1, 3]));
    await writeOut(`Session logs in ${run.place.dir}, newest first:\n\n${table}`);
  }
  return 0;
}

function sessionLogJson(log: SessionLog, retentionDays: number, now: number): Record<string, unknown> {
  const due = pruneDueMs(log, retentionDays);
  return {
    file: log.name,
    path: log.path,
    pid: log.pid,
    date: log.date,
    size: log.size,
    started: new Date(log.startedMs).toISOString(),
    ageSeconds: Math.max(0, Math.floor((now - log.startedMs) / 1000)),
    status: log.running ? 'running' : 'ended',
    pruneDue: due === null ? null : new Date(due).toISOString(),
  };
}

/** When the pruner will take `log`: a running session's log waits until it ends. */
function pruneWhen(log: SessionLog, retentionDays: number, now: number): string {
  const due = pruneDueMs(log, retentionDays);
  if (due === null) return 'never';
  if (due > now) return `in ${formatSpan(due - now)}`;
  return log.running ? 'after it ends' : 'next run';
}

const DEFAULT_VIEW_LINES = 50;

/** `logs view [PID|FILE] [-n N] [-f]`: bare lines, so that they pipe well. */
async function viewCommand(args: string[], run: Run): Promise<number> {
  const spec = { lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } } as const;
  const { values, positionals, spelled } = parseCommandArgs(args, spec, 'logs view', 1);
  if (values.help) return printHelp('logs view');
  const lineCount = values.lines === undefined ? DEFAULT_VIEW_LINES : parseLineCount(values.lines, spelled.lines ?? '-n', 'logs view');
  const log = positionals.length > 0 ? findSessionLog(run.place, positionals[0], 'logs view') : newestLogToView(run.place);
  const fd = openSessionLog(log);
  try {
    const { bytes, end } = readLastLines(fd, lineCount);
    if (!(await writeOut(bytes)) || !values.follow) return 0;
    await followUntilStopped(fd, log, end);
    return 0;
  } finally {
    fs.closeSync(fd);
  }
}

/** The newest log with something in it, other than ours (an empty one is a run that has only just started). */
function newestLogToView(place: LogPlace): SessionLog {
  const log = listSessionLogs(place).find((candidate) => !candidate.own && candidate.size > 0);
  if (log === undefined) throw new CommandError(`No session logs to view in ${place.dir}`);
  return log;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Follows `log` until Ctrl-C (or SIGTERM, SIGHUP), a closed stdout, or the file's deletion. */
async function followUntilStopped(fd: number, log: SessionLog, offset: number): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  try {
    const end = await followFile(fd, log.path, offset, writeOut, controller.signal);
    if (end === 'deleted') process.stderr.write(`automake: Stopped following: ${log.name} was deleted\n`);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
  }
}

/** `logs prune [--dry-run] [--retention-days N]`: the startup pruner, now, perhaps with a shorter retention. */
async function pruneCommand(args: string[], run: Run): Promise<number> {
  const spec = { 'dry-run': { type: 'boolean' }, 'retention-days': { type: 'string' } } as const;
  const { values, spelled } = parseCommandArgs(args, spec, 'logs prune', 0);
  if (values.help) return printHelp('logs prune');
  const configured = run.session.settings.retentionDays.value;
  const retentionDays = values['retention-days'] === undefined
    ? configured
    : parseRetentionDays(values['retention-days'], spelled['retention-days'] ?? '--retention-days', 'logs prune');
  // This run's own startup prune has already deleted what the configured retention allows.
  const startup = run.session.pruned;
  const lines = sortedNames(startup.deleted).map((name) => `Deleted ${name} (at startup, older than ${days(configured)})`);
  let deleted = startup.deleted.length;
  let errors = startup.errors;
  if (values['dry-run']) {
    const preview = pruneOldLogs(run.place.dir, { retentionDays, prefix: run.place.prefix, dryRun: true });
    lines.push(...sortedNames(preview.deleted).map((name) => `Would delete ${name}`));
    lines.push(`Dry run: ${pruneSummary(preview.deleted.length, retentionDays, othersLeft(run, preview.deleted.length), 'would delete')}`);
  } else {
    const report = pruneOldLogs(run.place.dir, { retentionDays, prefix: run.place.prefix });
    for (const file of report.deleted) run.session.logger.child('logs').info('Pruned session log', { file, retentionDays });
    lines.push(...sortedNames(report.deleted).map((name) => `Deleted ${name}`));
    deleted += report.deleted.length;
    errors = [...errors, ...report.errors];
    lines.push(pruneSummary(deleted, retentionDays, othersLeft(run, 0), 'Deleted'));
  }
  await writeOut(lines.join('\n') + '\n');
  for (const error of errors) process.stderr.write(`automake: Could not delete ${path.basename(error.file)}: ${error.message}\n`);
  return errors.length > 0 ? 1 : 0;
}

function pruneSummary(deleted: number, retentionDays: number, kept: number, verb: string): string {
  if (deleted === 0) return `Nothing to delete: no ended session's log is older than ${days(retentionDays)}; ${kept} kept`;
  return `${verb} ${count(deleted, 'session log')} older than ${days(retentionDays)}; ${kept} kept`;
}

/** The file names of `paths`, sorted, so that output does not depend on directory order. */
function sortedNames(paths: string[]): string[] {
  return paths.map((file) => path.basename(file)).sort();
}

/** How many logs other than ours are in the directory, less `leaving` about to go. */
function othersLeft(run: Run, leaving: number): number {
  return listSessionLogs(run.place).filter((log) => !log.own).length - leaving;
}

function days(value: number): string {
  return value === 1 ? '1 day' : `${value} days`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** `logs clear [--yes]`: deletes the logs of every ended session; asks on a terminal, else needs --yes. */
async function clearCommand(args: string[], run: Run): Promise<number> {
  const { values } = parseCommandArgs(args, { yes: { type: 'boolean', short: 'y' } }, 'logs clear', 0);
  if (values.help) return printHelp('logs clear');
  const ended = listSessionLogs(run.place).filter((log) => !log.running && !log.own);
  if (ended.length === 0) {
    await writeOut(`No logs of ended sessions in ${run.place.dir}\n`);
    return 0;
  }
  const what = `${count(ended.length, 'log')} of ended sessions (${formatSize(ended.reduce((sum, log) => sum + log.size, 0))})`;
  if (!values.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`Refusing to delete ${what} without --yes: stdin is not a terminal`, 'logs clear');
    await writeOut(ended.map((log) => `  ${log.name}  ${formatSize(log.size)}\n`).join(''));
    const answer = await askYesNo(`Delete ${ended.length === 1 ? 'this log' : `these ${ended.length} logs`}? [y/N] `);
    if (answer !== 'yes') {
      await writeOut('Nothing deleted\n');
      return answer === 'interrupted' ? 130 : 0;
    }
  }
  return deleteEndedLogs(ended, run);
}

async function deleteEndedLogs(logs: SessionLog[], run: Run): Promise<number> {
  let deleted = 0;
  let failed = 0;
  for (const log of logs) {
    const outcome = deleteEndedSessionLog(log);
    if (outcome.status === 'deleted') {
      deleted++;
      run.session.logger.child('logs').info('Cleared session log', { file: log.path });
    } else if (outcome.status === 'running') {
      await writeOut(`Kept ${log.name}: its PID is running again\n`);
    } else if (outcome.status === 'failed') {
      failed++;
      process.stderr.write(`automake: Could not delete ${log.name}: ${outcome.message}\n`);
    }
  }
  await writeOut(`Deleted ${count(deleted, 'log')} of ended sessions\n`);
  return failed > 0 ? 1 : 0;
}

const VARIABLES = {
  dir: 'AUTOMAKE_LOG_DIR',
  level: 'AUTOMAKE_LOG_LEVEL',
  retentionDays: 'AUTOMAKE_LOG_RETENTION_DAYS',
  format: 'AUTOMAKE_LOG_FORMAT',
} as const;

/** `logs config`: the settings in force and where each came from; works even when the directory cannot be used. */
async function configCommand(args: string[], run: Run | undefined): Promise<number> {
  const { values } = parseCommandArgs(args, {}, 'logs config', 0);
  if (values.help) return printHelp('logs config');
  let settings: LogSettings;
  try {
    settings = run?.session.settings ?? resolveSettings().settings;
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const dir = run?.place.dir ?? path.resolve(settings.dir.value);
  const retention = settings.retentionDays.value;
  const rows = [
    ['directory', dir, sourceOf(settings.dir, VARIABLES.dir)],
    ['level', settings.level.value, sourceOf(settings.level, VARIABLES.level)],
    ['retention', Number.isFinite(retention) ? days(retention) : 'forever (pruning off)', sourceOf(settings.retentionDays, VARIABLES.retentionDays)],
    ['format', settings.format.value, sourceOf(settings.format, VARIABLES.format)],
    ['file pattern', logFilePattern(settings.prefix.value), sourceOf(settings.prefix)],
  ];
  await writeOut(formatTable(['SETTING', 'VALUE', 'SOURCE'], rows));
  if (run === undefined) throw setupFailure();
  return 0;
}

/** `environment (VAR)`, `option` or `default`, noting an environment value that was ignored as invalid. */
function sourceOf(setting: Setting<unknown>, variable?: string): string {
  if (setting.source === 'environment') return `environment (${setting.variable ?? variable})`;
  if (setting.source === 'option') return 'option';
  const raw = variable === undefined ? undefined : process.env[variable];
  return raw === undefined || raw.trim() === '' ? 'default' : `default (${variable}=${JSON.stringify(raw)} is not valid)`;
}

// Last, so that every constant above is initialized before a command runs.
process.exitCode = await main(process.argv.slice(2));
