/**
 * The `logs` commands (docs/design.md §5): list, read, follow, prune and clear
 * session logs, and show the settings in force.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT_SIGNALS, pruneOldLogs, type LogSettings, type PruneReport, type Setting } from '../logging.ts';
import { parseCommandArgs, parseLineCount, parseRetentionDays, parseSizeFlag } from './args.ts';
import { useColour } from './colour.ts';
import { CommandError, UsageError } from './errors.ts';
import { KEEP_ALL, parseGrepFlag, parseLevelFlag, parseTimeFlag, type RecordFilter } from './filter.ts';
import { count, days, formatLimit, formatLocalTime, formatSize, formatSpan, formatTable, pruneSummary, sortedNames } from './format.ts';
import { printHelp } from './help.ts';
import { printStderr, writeOut } from './output.ts';
import { askYesNo } from './prompt.ts';
import { escapeControlChars } from './records.ts';
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
import { readSessionSummary, statusText, type SessionSummary } from './summary.ts';
import {
  DEFAULT_VIEW_LINES,
  followAll,
  followedLogs,
  followSession,
  lastRecords,
  mergeRecords,
  RecordPrinter,
  viewedLogs,
  type ReadEnds,
  type ViewedLog,
  type ViewRecord,
} from './view.ts';

/** `logs [SUBCOMMAND] ...`: every subcommand but `config` needs the log directory. */
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
  const all = listSessionLogs(run.place);
  const logs = all.filter((log) => !log.own);
  // Each log's header and end record: its first and last record, never the whole file.
  const summaries = logs.map((log) => readSessionSummary(log.path));
  const { settings } = run.session;
  const retentionDays = settings.retentionDays.value;
  const now = Date.now();
  if (values.json) {
    const entries = logs.map((log, i) => sessionLogJson(log, summaries[i], settings, now));
    await writeOut(escapeControlChars(JSON.stringify(entries, null, 2), true) + '\n');
  } else if (logs.length === 0) {
    await writeOut(`No session logs in ${run.place.dir}\n`);
  } else {
    const rows = logs.map((log, i) => [
      log.name, String(log.pid), formatLocalTime(log.startedMs), sizeCell(log, summaries[i], settings), formatSpan(now - log.startedMs),
      statusText(summaries[i], log.running), pruneWhen(log, retentionDays, now), commandCell(summaries[i]),
    ]);
    const table = formatTable(['FILE', 'PID', 'STARTED', 'SIZE', 'AGE', 'STATUS', 'PRUNED', 'COMMAND'], rows, new Set([1, 3]));
    // Every session log counts toward the budget, this run's own included, as the pruner counts them.
    const total = all.reduce((sum, log) => sum + log.size, 0);
    const budget = `${formatSize(total)} in all, of a ${formatLimit(settings.maxTotalBytes.value)} budget`;
    await writeOut(`Session logs in ${run.place.dir}, newest first (${budget}):\n\n${table}`);
  }
  return 0;
}

/**
 * Whether a session's log hit its size limit (§6): its size against the limit in
 * force now (a log at least that big stopped taking records below ERROR, if it was
 * written under the same limit), or the limit's WARNING among the records read
 * for its summary.
 */
function sizeLimitReached(log: SessionLog, summary: SessionSummary, settings: LogSettings): boolean {
  return summary.sizeLimitReached || log.size >= settings.maxSessionBytes.value;
}

/** `2.0 MiB`, right-aligned, or `2.0 MiB (size limit)` for a log that reached it. */
function sizeCell(log: SessionLog, summary: SessionSummary, settings: LogSettings): string {
  return sizeLimitReached(log, summary, settings) ? `${formatSize(log.size)} (size limit)` : formatSize(log.size);
}

// A command line longer than this is cut in the table (the JSON has it whole).
const COMMAND_CELL_CHARS = 60;

function commandCell(summary: SessionSummary): string {
  if (summary.command === undefined) return '-';
  const command = escapeControlChars(summary.command);
  return command.length > COMMAND_CELL_CHARS ? command.slice(0, COMMAND_CELL_CHARS - 1) + '…' : command;
}

function sessionLogJson(log: SessionLog, summary: SessionSummary, settings: LogSettings, now: number): Record<string, unknown> {
  const due = pruneDueMs(log, settings.retentionDays.value);
  return {
    file: log.name,
    path: log.path,
    pid: log.pid,
    date: log.date,
    size: log.size,
    bytes: log.size,
    started: new Date(log.startedMs).toISOString(),
    ageSeconds: Math.max(0, Math.floor((now - log.startedMs) / 1000)),
    status: summary.end === undefined && log.running ? 'running' : 'ended',
    command: summary.command ?? null,
    exitCode: summary.end?.exitCode ?? null,
    signal: summary.end?.signal ?? null,
    sizeLimitReached: sizeLimitReached(log, summary, settings),
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

const VIEW_FLAGS = {
  lines: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  all: { type: 'boolean' },
  level: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  grep: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/**
 * `logs view [PID|FILE|--all] [-n N] [-f] [--level L] [--since T] [--until T] [--grep RE] [--json]`:
 * records, bare so that they pipe well; with `--all`, every session's, merged by time.
 */
async function viewCommand(args: string[], run: Run): Promise<number> {
  const { values, positionals, spelled } = parseCommandArgs(args, VIEW_FLAGS, 'logs view', 1);
  if (values.help) return printHelp('logs view');
  const all = values.all === true;
  if (all && positionals.length > 0) throw new UsageError(`Unexpected argument: ${positionals[0]} (--all views every session)`, 'logs view');
  const filter = viewFilter(values, spelled);
  // A time range asks for all of it; otherwise the last few records.
  const ranged = values.since !== undefined || values.until !== undefined;
  const lines = values.lines === undefined ? (ranged ? Infinity : DEFAULT_VIEW_LINES) : parseLineCount(values.lines, spelled.lines ?? '-n', 'logs view');
  let logs: SessionLog[];
  if (all) {
    logs = otherLogs(run.place);
  } else {
    const log = positionals.length > 0 ? findSessionLog(run.place, positionals[0], 'logs view') : newestLogToView(run.place);
    // Says why a log cannot be read (a symlink planted since it was listed, say) rather than show nothing.
    fs.closeSync(openSessionLog(log));
    logs = [log];
  }
  const viewed = viewedLogs(logs);
  const json = values.json === true;
  const printer = new RecordPrinter({ json, colour: !json && useColour(process.stdout), leadPid: all && !json, pidWidth: pidWidth(viewed) }, writeOut);
  let open = true;
  let ends: ReadEnds;
  if (Number.isFinite(lines)) {
    const last = lastRecords(viewed, lines, filter);
    ends = last.ends;
    open = await printer.addAll(last.records);
  } else {
    ends = await mergeRecords(viewed, filter, async (record) => (open = await printer.add(record)));
    open &&= await printer.flush();
  }
  if (!open || !values.follow) return 0;
  await followUntilStopped(all ? undefined : viewed[0], ends, filter, run.place, printer);
  return 0;
}

/** The filter that `--level`, `--since`, `--until` and `--grep` ask for. */
function viewFilter(values: { level?: string; since?: string; until?: string; grep?: string }, spelled: Record<string, string | undefined>): RecordFilter {
  const now = Date.now();
  return {
    minLevel: values.level === undefined ? KEEP_ALL.minLevel : parseLevelFlag(values.level, spelled.level ?? '--level', 'logs view'),
    since: values.since === undefined ? KEEP_ALL.since : parseTimeFlag(values.since, spelled.since ?? '--since', 'logs view', now),
    until: values.until === undefined ? KEEP_ALL.until : parseTimeFlag(values.until, spelled.until ?? '--until', 'logs view', now),
    grep: values.grep === undefined ? KEEP_ALL.grep : parseGrepFlag(values.grep, spelled.grep ?? '--grep', 'logs view'),
  };
}

/** Every session log but this run's own. */
function otherLogs(place: LogPlace): SessionLog[] {
  return listSessionLogs(place).filter((log) => !log.own);
}

/** The width PIDs are aligned to in the merged view. */
function pidWidth(logs: ViewedLog[]): number {
  return Math.max(5, ...logs.map((log) => String(log.pid).length));
}

/**
 * The newest log with something in it, other than ours and other than a
 * `logs` command's (one that warned, or a `logs view -f` still running in
 * another terminal): the session one means when one says "the last one".
 */
function newestLogToView(place: LogPlace): SessionLog {
  for (const log of listSessionLogs(place)) {
    if (log.own || log.size === 0 || readSessionSummary(log.path).looksAtLogs) continue;
    return log;
  }
  throw new CommandError(`No session logs to view in ${place.dir}`);
}

/**
 * Follows one session's log (`log`) or all of them until Ctrl-C (or another
 * exit signal), a closed stdout, the one session's end, or its log's deletion.
 */
async function followUntilStopped(log: ViewedLog | undefined, ends: ReadEnds, filter: RecordFilter, place: LogPlace, printer: RecordPrinter): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  for (const signal of EXIT_SIGNALS) process.on(signal, stop);
  const emit = (records: ViewRecord[]) => printer.addAll(records);
  try {
    if (log === undefined) {
      await followAll(() => followedLogs(place), ends, filter, emit, controller.signal);
    } else if (await followSession(log, ends.get(log) ?? log.size, filter, emit, controller.signal) === 'deleted') {
      printStderr(`Stopped following: ${log.name} was deleted`);
    }
  } finally {
    for (const signal of EXIT_SIGNALS) process.off(signal, stop);
  }
}

/**
 * `logs prune [--dry-run] [--retention-days N] [--max-total SIZE]`: the startup
 * pruner, now, perhaps with a shorter retention or a smaller budget.
 */
async function pruneCommand(args: string[], run: Run): Promise<number> {
  const spec = { 'dry-run': { type: 'boolean' }, 'retention-days': { type: 'string' }, 'max-total': { type: 'string' } } as const;
  const { values, spelled } = parseCommandArgs(args, spec, 'logs prune', 0);
  if (values.help) return printHelp('logs prune');
  const configured = run.session.settings.retentionDays.value;
  const retentionDays = values['retention-days'] === undefined
    ? configured
    : parseRetentionDays(values['retention-days'], spelled['retention-days'] ?? '--retention-days', 'logs prune');
  const maxTotalBytes = values['max-total'] === undefined
    ? undefined
    : parseSizeFlag(values['max-total'], spelled['max-total'] ?? '--max-total', 'logs prune');
  // This run's own startup prune has already deleted what the settings in force
  // allow, by age and by the budget.
  const startup = run.session.pruned;
  const lines = sortedNames(startup.deleted).map((name) => `Deleted ${name} (at startup)`);
  let deleted = startup.deleted.length;
  let errors = startup.errors;
  // Only the rules asked for: an absent field would read "undefined" in a text record.
  const rules = maxTotalBytes === undefined ? { retentionDays } : { retentionDays, maxTotalBytes };
  const options = { ...rules, prefix: run.place.prefix };
  const budget = (report: PruneReport) => (maxTotalBytes === undefined ? undefined : { maxTotalBytes, totalBytes: report.totalBytes });
  if (values['dry-run']) {
    const preview = pruneOldLogs(run.place.dir, { ...options, dryRun: true });
    lines.push(...sortedNames(preview.deleted).map((name) => `Would delete ${name}`));
    lines.push(`Dry run: ${pruneSummary(preview.deleted.length, retentionDays, othersLeft(run, preview.deleted.length), 'would delete', budget(preview))}`);
  } else {
    const report = pruneOldLogs(run.place.dir, options);
    for (const file of report.deleted) run.session.logger.child('logs').info('Pruned session log', { file, ...rules });
    lines.push(...sortedNames(report.deleted).map((name) => `Deleted ${name}`));
    deleted += report.deleted.length;
    errors = [...errors, ...report.errors];
    lines.push(pruneSummary(deleted, retentionDays, othersLeft(run, 0), 'Deleted', budget(report)));
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
      await writeOut(`Kept ${log.name}: its session may be running again\n`);
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
    ['max session size', formatLimit(settings.maxSessionBytes.value), sourceOf(settings.maxSessionBytes, 'one eighth of max total size')],
    ['max total size', formatLimit(settings.maxTotalBytes.value), sourceOf(settings.maxTotalBytes, '10% of the file system, 16 MiB to 1 GiB')],
    ['min free space', formatLimit(settings.minFreeBytes.value), sourceOf(settings.minFreeBytes, '5% of the file system, at most 1 GiB')],
    ['redaction', settings.redact.value ? 'on' : 'off', sourceOf(settings.redact)],
  ];
  await writeOut(formatTable(['SETTING', 'VALUE', 'SOURCE'], rows));
  return 0;
}

/**
 * `environment (VAR)`, `option` or `default`, noting an environment value that was
 * ignored as invalid, or how a computed default was found.
 */
function sourceOf(setting: Setting<unknown>, howDefault?: string): string {
  if (setting.rejected !== undefined) return `default (${setting.variable}=${JSON.stringify(setting.rejected)} is not valid)`;
  if (setting.source === 'environment') return `environment (${setting.variable})`;
  if (setting.source === 'default' && howDefault !== undefined) return `default (${howDefault})`;
  return setting.source;
}
