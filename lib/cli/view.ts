/**
 * `logs view`: the records of one session or of all of them merged by time,
 * filtered, printed for a person or as JSON, and followed as they are written.
 *
 * Memory is bounded whatever the number and size of the logs: the last N
 * records are found by reading each file backwards only as far as they reach,
 * keeping N records in all; a time range is merged from a bounded window of
 * each file; following reads only what was appended.
 */
import * as fs from 'node:fs';
import { isSessionRunning, logFileTime } from '../logging.ts';
import { levelColour, paint, SessionColours } from './colour.ts';
import { keeps, type RecordFilter } from './filter.ts';
import {
  completeEnd,
  escapeControlChars,
  isEndRecord,
  levelName,
  pinoObject,
  RecordReader,
  visitRecordsBackward,
  type LogRecord,
} from './records.ts';
import { findLogFiles, isOwnLog, type LogPlace, type SessionLog } from './sessions.ts';

/** How many records `logs view` prints when not told. */
export const DEFAULT_VIEW_LINES = 50;

/** A log as `logs view` reads it. */
export interface ViewedLog {
  pid: number;
  name: string;
  path: string;
  /** Size when listed: what the first output covers, and where following starts. */
  size: number;
  /** Last modified: no record in the file is newer (give or take the clock's tick). */
  mtimeMs: number;
  /** Breaks ties between records of the same millisecond: when its session started (`logFileTime`). */
  order: number;
  /** Whether its process is running: then a last line without its newline is still being written. */
  running: boolean;
}

/** The logs as `logs view` reads them. */
export function viewedLogs(logs: SessionLog[]): ViewedLog[] {
  return logs.map((log) => ({
    pid: log.pid, name: log.name, path: log.path, size: log.size, mtimeMs: log.modifiedMs, order: log.startedMs, running: log.running,
  }));
}

/**
 * Every log but ours, as following them needs: without asking whether each
 * session runs, which (a kill() each) took most of a listing's time over a
 * thousand logs, and so most of a follower's delay.
 */
export function followedLogs(place: LogPlace): ViewedLog[] {
  return findLogFiles(place)
    .filter((entry) => !isOwnLog(place, entry.stats))
    .map(({ name, path, pid, stats }) => ({ pid, name, path, size: stats.size, mtimeMs: stats.mtimeMs, order: logFileTime(stats), running: true }));
}

/** A record and the log it came from. */
export interface ViewRecord {
  record: LogRecord;
  log: ViewedLog;
}

// The file system stamps mtime with a coarse clock, which may lag the clock a
// record's time was read from by a tick (1-10 ms); a second is ample.
const MTIME_SLACK_MS = 1000;

/**
 * Records of one log in file order (records held before `initLogging` are
 * older than the header above them); of different logs in time order, ties
 * in the order the sessions started.
 */
function compareRecords(a: ViewRecord, b: ViewRecord): number {
  if (a.log === b.log) return a.record.offset - b.record.offset;
  return a.record.time - b.record.time || a.log.order - b.log.order;
}

/** A binary heap, smallest first by `compare`. */
class Heap<T> {
  private readonly items: T[] = [];
  private readonly compare: (a: T, b: T) => number;

  constructor(compare: (a: T, b: T) => number) {
    this.compare = compare;
  }

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (this.compare(items[i], items[parent]) >= 0) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      this.siftDown();
    }
    return top;
  }

  /** Replaces the smallest item with `item`. */
  replaceTop(item: T): void {
    this.items[0] = item;
    this.siftDown();
  }

  /** Every item, in no particular order, emptying the heap. */
  drain(): T[] {
    return this.items.splice(0);
  }

  private siftDown(): void {
    const items = this.items;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const child = right < items.length && this.compare(items[right], items[left]) < 0 ? right : left;
      if (this.compare(items[child], items[i]) >= 0) return;
      [items[i], items[child]] = [items[child], items[i]];
      i = child;
    }
  }
}

/** Opens a log without following a symlink or blocking on a FIFO; undefined when it is gone or not a regular file. */
export function openLog(filePath: string): number | undefined {
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(filePath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return undefined;
  }
  if (fs.fstatSync(fd).isFile()) return fd;
  fs.closeSync(fd);
  return undefined;
}

/**
 * Where a log's records end for now: a running session's last line may be
 * half written (following reads it once whole); an ended one's is all there
 * will be (torn by a crash), and is shown.
 */
function readableEnd(fd: number, log: ViewedLog): number {
  return log.running ? completeEnd(fd, log.size) : log.size;
}

/** Runs `read` on the open log, closing it after; `fallback` when the log cannot be opened. */
function withLog<T>(log: ViewedLog, fallback: T, read: (fd: number) => T): T {
  const fd = openLog(log.path);
  if (fd === undefined) return fallback;
  try {
    return read(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Where each log's first output ended: following goes on from there. */
export type ReadEnds = Map<ViewedLog, number>;

/**
 * The last `count` records that pass `filter`, over all `logs`, oldest first.
 * Each file is read backwards only until its records are older than the
 * oldest kept; files last written before that are not opened at all.
 */
export function lastRecords(logs: ViewedLog[], count: number, filter: RecordFilter): { records: ViewRecord[]; ends: ReadEnds } {
  const kept = new Heap<ViewRecord>(compareRecords);
  const ends: ReadEnds = new Map();
  const newestFirst = [...logs].sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const log of newestFirst) {
    ends.set(log, log.size);
    if (count === 0 || log.mtimeMs + MTIME_SLACK_MS < filter.since) continue;
    const oldest = kept.peek();
    if (kept.size === count && oldest !== undefined && log.mtimeMs + MTIME_SLACK_MS < oldest.record.time) continue;
    withLog(log, undefined, (fd) => {
      const end = readableEnd(fd, log);
      ends.set(log, end);
      visitRecordsBackward(fd, end, (record) => {
        if (record.time < filter.since) return false;
        const candidate = { record, log };
        if (kept.size === count) {
          // Not newer than the oldest kept: nor is anything before it in this file.
          if (compareRecords(candidate, kept.peek()!) <= 0) return false;
          if (keeps(filter, record)) kept.replaceTop(candidate);
        } else if (keeps(filter, record)) {
          kept.push(candidate);
        }
        return true;
      });
    });
  }
  return { records: kept.drain().sort(compareRecords), ends };
}

// A time-range merge reads every file at once; its windows together stay under this.
const MERGE_WINDOW_BYTES = 8 * 1024 * 1024;
const MIN_WINDOW = 4 * 1024;
const MAX_WINDOW = 64 * 1024;

/** One file's part in a forward merge: the records of its current window, and where to read next. */
class MergeSource {
  readonly log: ViewedLog;
  private readonly reader: RecordReader;
  private readonly end: number;
  private readonly windowBytes: number;
  private readonly filter: RecordFilter;
  private window: LogRecord[] = [];
  private next = 0;
  private finished = false;
  head: ViewRecord | undefined;

  constructor(log: ViewedLog, start: number, end: number, windowBytes: number, filter: RecordFilter) {
    this.log = log;
    this.reader = new RecordReader(start);
    this.end = end;
    this.windowBytes = windowBytes;
    this.filter = filter;
  }

  /** Moves `head` to the next record that passes the filter; undefined at the end (or past `until`). */
  advance(): void {
    for (;;) {
      while (this.next < this.window.length) {
        const record = this.window[this.next++];
        if (record.time > this.filter.until) return this.finish();
        if (keeps(this.filter, record)) {
          this.head = { record, log: this.log };
          return;
        }
      }
      if (this.reader.position >= this.end) {
        // An ended session's torn last line is all there will be of it.
        if (this.log.running || this.finished) return this.finish();
        this.finished = true;
        this.window = this.reader.finish();
        this.next = 0;
        continue;
      }
      const before = this.reader.position;
      this.window = withLog(this.log, [], (fd) => this.reader.read(fd, this.end, this.windowBytes));
      this.next = 0;
      // The file was cut short or removed under us: what was read is all there is.
      if (this.reader.position === before) return this.finish();
    }
  }

  private finish(): void {
    this.head = undefined;
    this.window = [];
  }
}

/** Where the first record at or after `since` starts in the first `end` bytes; `end` when there is none. */
function offsetAtTime(fd: number, end: number, since: number): number {
  let start = end;
  visitRecordsBackward(fd, end, (record) => {
    if (record.time < since) return false;
    start = record.offset;
    return true;
  });
  return start;
}

/**
 * Calls `visit` with every record that passes `filter`, over all `logs`, in
 * time order, until it returns false. Each file is read from its first record
 * at or after `filter.since`, in a window of at most 64 KiB.
 */
export async function mergeRecords(logs: ViewedLog[], filter: RecordFilter, visit: (record: ViewRecord) => Promise<boolean>): Promise<ReadEnds> {
  const ends: ReadEnds = new Map();
  const windowBytes = Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, Math.floor(MERGE_WINDOW_BYTES / Math.max(1, logs.length))));
  const heads = new Heap<MergeSource>((a, b) => compareRecords(a.head!, b.head!));
  for (const log of logs) {
    ends.set(log, log.size);
    if (log.mtimeMs + MTIME_SLACK_MS < filter.since) continue;
    const range = withLog(log, undefined, (fd) => {
      const end = readableEnd(fd, log);
      return { start: Number.isFinite(filter.since) ? offsetAtTime(fd, end, filter.since) : 0, end };
    });
    if (range === undefined) continue;
    ends.set(log, range.end);
    const source = new MergeSource(log, range.start, range.end, windowBytes, filter);
    source.advance();
    if (source.head !== undefined) heads.push(source);
  }
  for (let source = heads.peek(); source !== undefined; source = heads.peek()) {
    if (!(await visit(source.head!))) break;
    source.advance();
    if (source.head === undefined) heads.pop();
    else heads.replaceTop(source);
  }
  return ends;
}

// ---------------------------------------------------------------------------
// Following
// ---------------------------------------------------------------------------

// Polled, not watched: fs.watch misses events on network and container file
// systems. A tenth of a second keeps a record's delay to the screen well under
// the 200 ms target, and a poll of one fstat per file costs little.
const FOLLOW_INTERVAL_MS = 100;

/** How following ended: stopped (Ctrl-C, a closed output), the one session ended, or its log was deleted. */
export type FollowEnd = 'stopped' | 'ended' | 'deleted';

/** A log being followed: what has been read of it. */
interface Followed {
  log: ViewedLog;
  reader: RecordReader;
}

/**
 * Follows one session's log from `start`: every complete record appended goes
 * to `emit`. Ends once the session has ended (its end record read, or its
 * process gone) and its log has been read to the end; or when the log is deleted.
 */
export async function followSession(
  log: ViewedLog,
  start: number,
  filter: RecordFilter,
  emit: (records: ViewRecord[]) => Promise<boolean>,
  signal: AbortSignal,
): Promise<FollowEnd> {
  const fd = openLog(log.path);
  if (fd === undefined) return 'deleted';
  const reader = new RecordReader(start);
  try {
    while (!signal.aborted) {
      // Asked before reading: whatever it wrote before it went is then in the file.
      const gone = !isSessionRunning(log.path, fs.fstatSync(fd));
      const stats = fs.fstatSync(fd);
      let ended = false;
      while (reader.position < stats.size) {
        const before = reader.position;
        const records = reader.read(fd, stats.size);
        if (records.length > 0) {
          ended = isEndRecord(records[records.length - 1]);
          const kept = records.filter((record) => keeps(filter, record)).map((record) => ({ record, log }));
          if (kept.length > 0 && !(await emit(kept))) return 'stopped';
        }
        if (reader.position === before) break;
      }
      if (ended) return 'ended';
      if (isDeleted(log.path, stats)) return 'deleted';
      if (gone) return 'ended';
      try {
        await pause(signal);
      } catch {
        break;
      }
    }
    return 'stopped';
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the file open as `stats` is no longer at `filePath`: unlinked, or another file put there. */
function isDeleted(filePath: string, stats: fs.Stats): boolean {
  if (stats.nlink === 0) return true;
  const current = fs.statSync(filePath, { throwIfNoEntry: false });
  return current === undefined || current.ino !== stats.ino || current.dev !== stats.dev;
}

/**
 * Follows every log `list()` returns, from where `ends` says the first output
 * ended (a log that appears later is read from its start), until `signal`
 * aborts or `emit` returns false. Each round's records are merged by time.
 */
export async function followAll(
  list: () => ViewedLog[],
  ends: ReadEnds,
  filter: RecordFilter,
  emit: (records: ViewRecord[]) => Promise<boolean>,
  signal: AbortSignal,
): Promise<FollowEnd> {
  const followed = new Map<string, Followed>();
  for (const [log, end] of ends) followed.set(log.path, { log, reader: new RecordReader(end) });
  while (!signal.aborted) {
    const round: ViewRecord[] = [];
    for (const log of list()) {
      let entry = followed.get(log.path);
      if (entry === undefined) {
        entry = { log, reader: new RecordReader(0) };
        followed.set(log.path, entry);
      }
      // A file cut back (cleared by hand): start again from the top, as `tail -f` does.
      if (log.size < entry.reader.position) entry.reader = new RecordReader(0);
      if (log.size === entry.reader.position) continue;
      const current = entry;
      const records = withLog(log, [], (fd) => {
        const all: LogRecord[] = [];
        for (let before = -1; current.reader.position < log.size && current.reader.position !== before;) {
          before = current.reader.position;
          all.push(...current.reader.read(fd, log.size));
        }
        return all;
      });
      for (const record of records) if (keeps(filter, record)) round.push({ record, log: current.log });
    }
    if (round.length > 0 && !(await emit(round.sort(compareRecords)))) return 'stopped';
    try {
      await pause(signal);
    } catch {
      break;
    }
  }
  return 'stopped';
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

/** How records are printed. */
export interface PrintOptions {
  /** One pino-shaped JSON object per record. */
  json: boolean;
  /** Colour levels (and sessions, with `leadPid`). */
  colour: boolean;
  /** Lead each record's first line with its session's PID (the merged view). */
  leadPid: boolean;
  /** Width the PID is right-aligned to. */
  pidWidth: number;
}

// Output is gathered and written in pieces of about this size.
const OUTPUT_CHUNK = 64 * 1024;

/** Formats records and writes them out in chunks; `flush` before the end. */
export class RecordPrinter {
  private buffer = '';
  private readonly sessions = new SessionColours();
  private readonly options: PrintOptions;
  private readonly write: (text: string) => Promise<boolean>;

  constructor(options: PrintOptions, write: (text: string) => Promise<boolean>) {
    this.options = options;
    this.write = write;
  }

  /** Adds one record; resolves false once the output is closed. */
  async add(item: ViewRecord): Promise<boolean> {
    this.buffer += this.format(item);
    return this.buffer.length < OUTPUT_CHUNK || this.flush();
  }

  async addAll(items: ViewRecord[]): Promise<boolean> {
    for (const item of items) this.buffer += this.format(item);
    return this.flush();
  }

  async flush(): Promise<boolean> {
    const text = this.buffer;
    this.buffer = '';
    return text === '' || this.write(text);
  }

  format({ record, log }: ViewRecord): string {
    const { json, colour, leadPid, pidWidth } = this.options;
    if (json) return escapeControlChars(JSON.stringify(pinoObject(record, log.pid)), true) + '\n';
    let text = escapeControlChars(record.text, record.json);
    if (colour) text = colourLevel(text, record);
    if (!leadPid) return text + '\n';
    let lead = String(log.pid).padStart(pidWidth);
    if (colour) lead = paint(lead, this.sessions.of(log.pid));
    const indent = ' '.repeat(pidWidth + 1);
    return `${lead} ${text.includes('\n') ? text.replaceAll('\n', '\n' + indent) : text}\n`;
  }
}

/** A record with its level word coloured (text), or its first line (JSON). */
function colourLevel(text: string, record: LogRecord): string {
  const code = levelColour(record.level);
  if (code === undefined) return text;
  const lineEnd = text.indexOf('\n') < 0 ? text.length : text.indexOf('\n');
  if (record.json) return paint(text.slice(0, lineEnd), code) + text.slice(lineEnd);
  const name = levelName(record.level);
  if (name === undefined) return text;
  // After the timestamp and the logger name, which holds no spaces.
  const at = text.indexOf(` - ${name} - `, 24);
  if (at < 0 || at > lineEnd) return text;
  return text.slice(0, at + 3) + paint(name, code) + text.slice(at + 3 + name.length);
}

/** Waits FOLLOW_INTERVAL_MS, or rejects once `signal` aborts. node:timers/promises is loaded by the first wait, not by every command. */
async function pause(signal: AbortSignal): Promise<void> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(FOLLOW_INTERVAL_MS, undefined, { signal });
}
