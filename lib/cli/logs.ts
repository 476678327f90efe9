/**
 * The `logs` commands (docs/design.md §5): list, read, follow, prune and clear
 * session logs, and show the settings in force.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_SIGNALS, pruneOldLogs, type Setting } from '../logging.ts';
import { parseCommandArgs, parseLineCount, parseRetentionDays } from './args.ts';
import { CommandError, UsageError } from './errors.ts';
import { count, days, formatLocalTime, formatSize, formatSpan, formatTable, pruneSummary, sortedNames } from './format.ts';
import { printHelp } from './help.ts';
import { printStderr, writeOut } from './output.ts';
import { askYesNo } from './prompt.ts';
import { needRun, settingsInForce, type Opened, type Run } from './run.ts';
import {
  deleteEndedSessionLog,
  findSessionLog,
  listSessionLogs,
  logFilePattern,
  openSessionLog,
  pruneDueMs,
  type LogPlace,
  type SessionLog,
} from './sessions.ts';
import { DEFAULT_VIEW_LINES, followFile, readLastLines } from './tail.ts';

/** `logs [SUBCOMMAND] ...`: every subcommand but `config` needs this run's log. */
export async function logsCommand(args: string[], opened: Opened): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === '-h' || subcommand === '--help') return printHelp('logs');
  // Plain `logs`, or `logs --json`: the listing.
  if (subcommand === undefined || subcommand.startsWith('-')) return showCommand(args, needRun(opened));
  switch (subcommand) {
    case 'show': return showCommand(rest, needRun(opened));
    case 'view': return viewCommand(rest, needRun(opened));
    case 'prune': return pruneCommand(rest, needRun(opened));
    case 'clear': return clearCommand(rest, needRun(opened));
    case 'config': return configCommand(rest, opened);
  }
  throw new UsageError(`Unknown command: logs ${subcommand}`, 'logs');
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

/** Follows `log` until Ctrl-C (or SIGTERM, SIGHUP), a closed stdout, or the file's deletion. */
async function followUntilStopped(fd: number, log: SessionLog, offset: number): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const signal of EXIT_SIGNALS) process.on(signal, stop);
  try {
    const end = await followFile(fd, log.path, offset, writeOut, controller.signal);
    if (end === 'deleted') printStderr(`Stopped following: ${log.name} was deleted`);
  } finally {
    for (const signal of EXIT_SIGNALS) process.off(signal, stop);
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
  for (const error of errors) printStderr(`Could not delete ${path.basename(error.file)}: ${error.message}`);
  return errors.length > 0 ? 1 : 0;
}

/** How many logs other than ours are in the directory, less `leaving` about to go. */
function othersLeft(run: Run, leaving: number): number {
  return listSessionLogs(run.place).filter((log) => !log.own).length - leaving;
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
      printStderr(`Could not delete ${log.name}: ${outcome.message}`);
    }
  }
  await writeOut(`Deleted ${count(deleted, 'log')} of ended sessions\n`);
  return failed > 0 ? 1 : 0;
}

/** `logs config`: the settings in force and where each came from; works even when the directory cannot be used. */
async function configCommand(args: string[], opened: Opened): Promise<number> {
  const { values } = parseCommandArgs(args, {}, 'logs config', 0);
  if (values.help) return printHelp('logs config');
  const run = 'run' in opened ? opened.run : undefined;
  const settings = settingsInForce(opened);
  const dir = run?.place.dir ?? path.resolve(settings.dir.value);
  const retention = settings.retentionDays.value;
  const rows = [
    ['directory', dir, sourceOf(settings.dir)],
    ['level', settings.level.value, sourceOf(settings.level)],
    ['retention', Number.isFinite(retention) ? days(retention) : 'forever (pruning off)', sourceOf(settings.retentionDays)],
    ['format', settings.format.value, sourceOf(settings.format)],
    ['file pattern', logFilePattern(settings.prefix.value), sourceOf(settings.prefix)],
    ['redaction', settings.redact.value ? 'on' : 'off', sourceOf(settings.redact)],
  ];
  await writeOut(formatTable(['SETTING', 'VALUE', 'SOURCE'], rows));
  // Shown, but this run has no log: fail, saying why.
  if (run === undefined) needRun(opened);
  return 0;
}

/** `environment (VAR)`, `option` or `default`, noting an environment value that was ignored as invalid. */
function sourceOf(setting: Setting<unknown>): string {
  if (setting.rejected !== undefined) return `default (${setting.variable}=${JSON.stringify(setting.rejected)} is not valid)`;
  if (setting.source === 'environment') return `environment (${setting.variable})`;
  return setting.source;
}
