/**
 * The records `logs view` shows before following: the last N of one session or
 * of all merged by time, or every record of a time range in time order.
 *
 * Memory is bounded whatever the number and size of the logs: the last N
 * records are found by reading each file backwards only as far as they reach,
 * keeping N records in all; a time range is merged from a bounded window of
 * each file.
 */
import { logFileTime } from '../logging.ts';
import { keeps, type RecordFilter } from './filter.ts';
import { findLogFiles, isOwnLog, withLog, type LogPlace, type SessionLog } from './log-files.ts';
import { completeEnd, lastRecords, RecordReader, visitRecordsBackward, type LogRecord } from './read-records.ts';

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
export function compareRecords(a: ViewRecord, b: ViewRecord): number {
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

/**
 * Where a log's records end for now: a running session's last line may be
 * half written (following reads it once whole); an ended one's is all there
 * will be (torn by a crash), and is shown.
 */
function readableEnd(fd: number, log: ViewedLog): number {
  return log.running ? completeEnd(fd, log.size) : log.size;
}

/** Where each log's first output ended: following goes on from there. */
export type ReadEnds = Map<ViewedLog, number>;

/**
 * The last `count` records that pass `filter`, over all `logs`, oldest first.
 * Each file is read backwards only until its records are older than the
 * oldest kept; files last written before that are not opened at all.
 */
export function newestRecords(logs: ViewedLog[], count: number, filter: RecordFilter): { records: ViewRecord[]; ends: ReadEnds } {
  const kept = new Heap<ViewRecord>(compareRecords);
  const ends: ReadEnds = new Map();
  const newestFirst = [...logs].sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const log of newestFirst) {
    ends.set(log, log.size);
    if (count === 0 || log.mtimeMs + MTIME_SLACK_MS < filter.since) continue;
    const oldest = kept.size === count ? kept.peek() : undefined;
    if (oldest !== undefined && log.mtimeMs + MTIME_SLACK_MS < oldest.record.time) continue;
    const records = withLog(log.path, [], (fd) => {
      const end = readableEnd(fd, log);
      ends.set(log, end);
      // Too old for the range, or not newer than the oldest kept: nor is anything before it in this file.
      const tooOld = (record: LogRecord) => record.time < filter.since || (oldest !== undefined && compareRecords({ record, log }, oldest) <= 0);
      return lastRecords(fd, end, count, { keep: (record) => keeps(filter, record), stop: tooOld });
    });
    for (const record of records) {
      if (kept.size < count) kept.push({ record, log });
      else if (compareRecords({ record, log }, kept.peek()!) > 0) kept.replaceTop({ record, log });
    }
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
      this.window = withLog(this.log.path, [], (fd) => this.reader.read(fd, this.end, this.windowBytes));
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
    const range = withLog(log.path, undefined, (fd) => {
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
