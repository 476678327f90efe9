/**
 * What a session's log says about the session: the command it ran (its header
 * record, the file's first) and how it ended (its end record, the file's
 * last). Only the head and the tail of a file are read, never all of it.
 */
import * as path from 'node:path';
import { shellQuote } from '../logging.ts';
import {
  firstRecord,
  isEndRecord,
  isHeaderRecord,
  lastRecords,
  recordParts,
  splitShellWords,
  completeEnd,
  type LogRecord,
} from './records.ts';
import { openLog } from './view.ts';
import * as fs from 'node:fs';

/** A session as its log describes it. */
export interface SessionSummary {
  /** The command line from the header, for people: `automake exec -- make`, `server.js --port 80`. */
  command: string | undefined;
  /** Whether the session is the automake command line looking at logs (any command but `exec`). */
  looksAtLogs: boolean;
  /** From the end record; undefined when the log has none (yet). */
  end: { exitCode?: number; signal?: string } | undefined;
  /** Whether the session hit its size limit. */
  sizeLimitReached: boolean;
}

// The header field the command line puts its version in: it marks its own sessions.
export const CLI_HEADER_FIELD = 'automake';

/** Reads the header and end records of the log at `filePath`; an unreadable log has neither. */
export function readSessionSummary(filePath: string): SessionSummary {
  const summary: SessionSummary = { command: undefined, looksAtLogs: false, end: undefined, sizeLimitReached: false };
  const fd = openLog(filePath);
  if (fd === undefined) return summary;
  try {
    const size = fs.fstatSync(fd).size;
    const head = firstRecord(fd, size);
    if (head !== undefined && isHeaderRecord(head)) Object.assign(summary, describeHeader(head));
    const last = lastRecords(fd, completeEnd(fd, size), 1)[0];
    if (last !== undefined && isEndRecord(last)) summary.end = describeEnd(last);
    summary.sizeLimitReached = sizeLimitReached(last);
  } finally {
    fs.closeSync(fd);
  }
  return summary;
}

function describeHeader(record: LogRecord): Pick<SessionSummary, 'command' | 'looksAtLogs'> {
  const { fields } = recordParts(record);
  if (typeof fields.argv !== 'string') return { command: undefined, looksAtLogs: false };
  const words = splitShellWords(fields.argv);
  const ours = fields[CLI_HEADER_FIELD] !== undefined;
  // argv is [runtime, script, ...arguments]; the runtime's path says little.
  if (words.length < 2) return { command: words.length === 1 ? path.basename(words[0]) : undefined, looksAtLogs: false };
  const program = ours ? 'automake' : path.basename(words[1]);
  return { command: shellQuote([program, ...words.slice(2)]), looksAtLogs: ours && words[2] !== 'exec' };
}

function describeEnd(record: LogRecord): SessionSummary['end'] {
  const { fields } = recordParts(record);
  const end: NonNullable<SessionSummary['end']> = {};
  if (typeof fields.signal === 'string') end.signal = fields.signal;
  else if (typeof fields.exitCode === 'number') end.exitCode = fields.exitCode;
  return end;
}

/**
 * Whether a session's log shows it hit its size limit (docs/design.md §6): judged
 * from its last record, without reading the file.
 */
export function sizeLimitReached(last: LogRecord | undefined): boolean {
  if (last === undefined) return false;
  const { fields } = recordParts(last);
  return fields.sizeLimitReached === true || /size limit/i.test(last.text);
}

/** `running`, `exit N`, `signal NAME`, or `no end record` (ended abruptly: SIGKILL, a crash of the machine). */
export function statusText(summary: SessionSummary, running: boolean): string {
  if (summary.end?.signal !== undefined) return `signal ${summary.end.signal}`;
  if (summary.end?.exitCode !== undefined) return `exit ${summary.end.exitCode}`;
  if (summary.end !== undefined) return 'ended';
  return running ? 'running' : 'no end record';
}
