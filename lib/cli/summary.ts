/**
 * What a session's log says about the session: the command it ran (its header
 * record, the file's first), how it ended (its end record, the file's last),
 * and whether it reached its size limit. Only the head and the tail of a file
 * are read, never all of it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, LEVEL_VALUES, shellQuote } from '../logging.ts';
import { withLog } from './log-files.ts';
import { completeEnd, firstRecord, lastRecords, type LogRecord } from './read-records.ts';
import { isEndRecord, isHeaderRecord, recordParts } from './record-parts.ts';

/** A session as its log describes it. */
export interface SessionSummary {
  /** The command line from the header, for people: `automake exec -- make`, `server.js --port 80`. */
  command: string | undefined;
  /** Whether the session is the automake command line looking at logs (any command but `exec`). */
  looksAtLogs: boolean;
  /** From the end record; undefined when the log has none (yet). */
  end: { exitCode?: number; signal?: string } | undefined;
  /** Whether the size limit's WARNING is among the last records. */
  sizeLimitRecord: boolean;
}

// The header field the command line puts its version in: it marks its own sessions.
export const CLI_HEADER_FIELD = 'automake';

// The last records read for the summary, within the last TAIL_BYTES of the
// file: the end record and the size limit's WARNING are short, and the
// WARNING is followed only by ERROR and CRITICAL records, `exec`'s summary
// and the end record. A longer record is no end record, and is not read.
const TAIL_RECORDS = 4;
const TAIL_BYTES = 64 * 1024;

/** Reads the header and the last records of the log at `filePath`; an unreadable log has neither. */
export function readSessionSummary(filePath: string): SessionSummary {
  const summary: SessionSummary = { command: undefined, looksAtLogs: false, end: undefined, sizeLimitRecord: false };
  withLog(filePath, undefined, (fd) => {
    const size = fs.fstatSync(fd).size;
    const head = firstRecord(fd, size);
    if (head !== undefined && isHeaderRecord(head)) Object.assign(summary, describeHeader(head));
    // A last line still being written (or torn by a crash) is no end record.
    const end = completeEnd(fd, size);
    const tail = lastRecords(fd, end, TAIL_RECORDS, { start: Math.max(0, end - TAIL_BYTES) });
    const last = tail.at(-1);
    if (last !== undefined && isEndRecord(last)) summary.end = describeEnd(last);
    summary.sizeLimitRecord = tail.some(isSizeLimitRecord);
  });
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
 * Whether `record` is the WARNING the core writes when its session's log
 * reaches its size limit (docs/design.md §6): from the root logger, its
 * message says `size limit`, and it names `maxSessionBytes`.
 */
function isSizeLimitRecord(record: LogRecord): boolean {
  if (record.level !== LEVEL_VALUES.WARNING || !record.text.includes('size limit')) return false;
  const { name, msg, fields } = recordParts(record);
  return name === DEFAULTS.prefix && msg.includes('size limit') && typeof fields.maxSessionBytes === 'number';
}

/**
 * Whether a session's log reached its size limit (docs/design.md §6): its
 * size against the limit in force now (a log at least that big stopped taking
 * records below ERROR, if it was written under the same limit), or the
 * limit's WARNING among the last records read for its summary.
 */
export function sizeLimitReached(bytes: number, summary: SessionSummary, maxSessionBytes: number): boolean {
  return summary.sizeLimitRecord || bytes >= maxSessionBytes;
}

/** `running`, `exit N`, `signal NAME`, or `no end record` (ended abruptly: SIGKILL, a crash of the machine). */
export function statusText(summary: SessionSummary, running: boolean): string {
  if (summary.end?.signal !== undefined) return `signal ${summary.end.signal}`;
  if (summary.end?.exitCode !== undefined) return `exit ${summary.end.exitCode}`;
  if (summary.end !== undefined) return 'ended';
  return running ? 'running' : 'no end record';
}

/**
 * The words of a command line as `shellQuote` writes it: bare words, and
 * single-quoted ones (`'\''` for a quote inside). Double quotes and
 * backslashes are read as a POSIX shell reads them too.
 */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? text.length : close;
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) i++;
        word += text[i];
      }
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}
