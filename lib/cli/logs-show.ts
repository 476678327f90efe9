/**
 * `logs show [--json]` (docs/design.md §5, §9): every session log but this
 * run's own, newest first, with what its header and end record say, its size
 * against the budget, and when the pruner will take it.
 */
import { escapeControlChars, type LogSettings } from '../logging.ts';
import { parseCommandArgs } from './args.ts';
import { formatLocalTime, formatLimit, formatSize, formatSpan, formatTable } from './format.ts';
import { printHelp } from './help.ts';
import { listSessionLogs, pruneDueMs, type SessionLog } from './log-files.ts';
import { writeOut } from './output.ts';
import type { Run } from './run.ts';
import { readSessionSummary, sizeLimitReached, statusText, type SessionSummary } from './summary.ts';

/** `logs show [--json]`: every session log but this run's own, newest first. */
export async function logsShowCommand(args: string[], run: Run): Promise<number> {
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

/** `2.0 MiB`, right-aligned, or `2.0 MiB (size limit)` for a log that reached it. */
function sizeCell(log: SessionLog, summary: SessionSummary, settings: LogSettings): string {
  return sizeLimitReached(log.size, summary, settings.maxSessionBytes.value) ? `${formatSize(log.size)} (size limit)` : formatSize(log.size);
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
    sizeLimitReached: sizeLimitReached(log.size, summary, settings.maxSessionBytes.value),
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
