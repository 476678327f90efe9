/**
 * `logs view` (docs/design.md §5, §10): the records of one session or of all
 * merged by time, filtered, printed bare or as JSON, and followed with `-f`.
 */
import { EXIT_SIGNALS } from '../logging.ts';
import { parseCommandArgs, parseLineCount } from './args.ts';
import { useColour } from './colour.ts';
import { CommandError, UsageError } from './errors.ts';
import { KEEP_ALL, parseGrepFlag, parseLevelFlag, parseTimeFlag, type RecordFilter } from './filter.ts';
import { followAll, followSession } from './follow-logs.ts';
import { printHelp } from './help.ts';
import { checkReadable, findSessionLog, listSessionLogs, type LogPlace, type SessionLog } from './log-files.ts';
import { DEFAULT_VIEW_LINES, followedLogs, mergeRecords, newestRecords, viewedLogs, type ReadEnds, type ViewedLog, type ViewRecord } from './merge-records.ts';
import { printStderr, writeOut } from './output.ts';
import { RecordPrinter } from './print-records.ts';
import type { Run } from './run.ts';
import { readSessionSummary } from './summary.ts';

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
export async function logsViewCommand(args: string[], run: Run): Promise<number> {
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
    checkReadable(log);
    logs = [log];
  }
  const viewed = viewedLogs(logs);
  const json = values.json === true;
  const printer = new RecordPrinter({ json, colour: !json && useColour(process.stdout), leadPid: all && !json, pidWidth: pidWidth(viewed) }, writeOut);
  let open = true;
  let ends: ReadEnds;
  if (Number.isFinite(lines)) {
    const last = newestRecords(viewed, lines, filter);
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
