/**
 * Reading session logs record by record: a record is its first line and the
 * continuation lines under it (text), or one line (JSON). Files are read in
 * bounded chunks, backwards from the end (the last N records) or forwards from
 * an offset (a file's first record, following, merging a time range), never
 * whole. A trailing line without its newline is left for the next read: it is
 * a record still being written.
 *
 * Time and memory are in proportion to what is read, whatever the records'
 * sizes: a line longer than a chunk is kept as the chunks it came in and
 * joined once, when its other end is found.
 *
 * Limits: a file's records are taken to be in time order (they are, but for
 * records held before `initLogging` and a clock set back); a line that is
 * neither a record's start nor indented is a record of its own.
 */
import * as fs from 'node:fs';
import { LEVEL_VALUES, PINO_LEVELS, TEXT_RECORD_START, TEXT_SEPARATOR, type LevelName } from '../logging.ts';

/** One record of a session log. */
export interface LogRecord {
  /** Epoch ms; `-Infinity` for lines before the first record of a file. */
  time: number;
  /** The core's level number (`LEVEL_VALUES`); 0 when the record has none that we can read. */
  level: number;
  /** The record as it is in the file, lines joined with `\n`, without the final newline. */
  text: string;
  /** Byte offset of its first line in the file. */
  offset: number;
  /** Whether the record is a JSON line. */
  json: boolean;
}

let cachedSecondText = '\0';
let cachedSecondMs = 0;

/** The epoch ms of a text record's local timestamp (`YYYY-MM-DD HH:MM:SS,mmm`); the second is cached, as records come in bursts. */
function textTime(line: string): number {
  if (!line.startsWith(cachedSecondText)) {
    cachedSecondText = line.slice(0, 19);
    const [year, month, day, hour, minute, second] = cachedSecondText.split(/[-: ]/).map(Number);
    cachedSecondMs = new Date(year, month - 1, day, hour, minute, second).getTime();
  }
  return cachedSecondMs + (line.charCodeAt(20) - 0x30) * 100 + (line.charCodeAt(21) - 0x30) * 10 + (line.charCodeAt(22) - 0x30);
}

/** Where a text record's logger name and level are: `<timestamp> - <name> - <LEVEL> - <message>`. */
export function textHeader(line: string): { name: string; level: number; messageStart: number } | undefined {
  // The logger name starts just past the timestamp and its separator.
  const nameStart = TEXT_RECORD_START.exec(line)?.[0].length;
  if (nameStart === undefined) return undefined;
  const nameEnd = line.indexOf(TEXT_SEPARATOR, nameStart);
  if (nameEnd < 0) return undefined;
  const levelEnd = line.indexOf(TEXT_SEPARATOR, nameEnd + TEXT_SEPARATOR.length);
  if (levelEnd < 0) return undefined;
  const levelText = line.slice(nameEnd + TEXT_SEPARATOR.length, levelEnd);
  if (!Object.hasOwn(LEVEL_VALUES, levelText)) return undefined;
  return { name: line.slice(nameStart, nameEnd), level: LEVEL_VALUES[levelText as LevelName], messageStart: levelEnd + TEXT_SEPARATOR.length };
}

/** A pino level number (10 trace … 60 fatal) as the core's (trace read as DEBUG); 0 when it is none. */
export function levelFromPino(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  let level = LEVEL_VALUES.DEBUG;
  for (const name of Object.keys(PINO_LEVELS) as LevelName[]) if (value >= PINO_LEVELS[name]) level = LEVEL_VALUES[name];
  return level;
}

/**
 * Whether `line` starts a record: every line does but an indented one, which
 * continues the record above. A line that is neither a text record's start
 * nor a JSON object (a file some other tool wrote) is a record of its own,
 * without level or time.
 */
function isRecordStart(line: string): boolean {
  const first = line.charCodeAt(0);
  return first !== 0x20 && first !== 0x09;
}

/** A record from its first line and the continuation lines under it. */
function makeRecord(lines: string[], offset: number): LogRecord {
  const first = lines[0];
  const text = lines.length === 1 ? first : lines.join('\n');
  if (first.charCodeAt(0) === 0x7b) {
    try {
      const value = JSON.parse(first) as { time?: unknown; level?: unknown };
      const time = typeof value.time === 'number' ? value.time : -Infinity;
      return { time, level: levelFromPino(value.level), text, offset, json: true };
    } catch {
      return { time: -Infinity, level: 0, text, offset, json: true };
    }
  }
  if (!TEXT_RECORD_START.test(first)) return { time: -Infinity, level: 0, text, offset, json: false };
  return { time: textTime(first), level: textHeader(first)?.level ?? 0, text, offset, json: false };
}

/** Continuation lines with no record above them (the head of a file cut short). */
function orphanRecord(lines: string[], offset: number): LogRecord {
  return { time: -Infinity, level: 0, text: lines.join('\n'), offset, json: false };
}

/** A record without a time of its own is placed at its neighbour's, so that merging keeps it beside it. */
function timeFrom(record: LogRecord, neighbour: LogRecord | undefined): LogRecord {
  if (record.time === -Infinity && neighbour !== undefined) record.time = neighbour.time;
  return record;
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
// Backwards, a first small read finds the last record of most files (what
// `logs show` needs); later reads grow, so a long scan costs few system calls.
const FIRST_BACKWARD_READ = 4 * 1024;
/** The most read at once, backwards or forwards. */
export const MAX_READ = 64 * 1024;

/** Reads up to `length` bytes of `fd` at `position`. */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const read = fs.readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/** The offset just past the last newline in the first `size` bytes: what follows it is still being written. */
export function completeEnd(fd: number, size: number): number {
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - MAX_READ);
    const chunk = readAt(fd, start, end - start);
    const last = chunk.lastIndexOf(NEWLINE);
    if (last >= 0) return start + last + 1;
    end = start;
  }
  return 0;
}

/** A line's text from the pieces it was read in, in file order: joined once, whatever its length. */
function lineText(pieces: Buffer[]): string {
  return pieces.length === 1 ? pieces[0].toString('utf8') : Buffer.concat(pieces).toString('utf8');
}

/**
 * Visits the records of `fd` that end at or before `end` (a line boundary),
 * newest first, until `visit` returns false. Reads backwards in growing chunks;
 * memory holds one chunk and the record being assembled. Only the bytes from
 * `start` on are read: a record that begins before it is not visited.
 */
export function visitRecordsBackward(fd: number, end: number, visit: (record: LogRecord) => boolean, start = 0): void {
  let position = end;
  let readSize = FIRST_BACKWARD_READ;
  // Whether `start` cuts a line, rather than being where one starts.
  const cut = start > 0 && readAt(fd, start - 1, 1)[0] !== NEWLINE;
  // The end of a line whose start is in a chunk not read yet: its pieces, last piece first.
  let after: Buffer[] = [];
  // Continuation lines seen so far (newest first), waiting for their first line.
  let below: string[] = [];
  let belowOffset = end;
  // The record visited last: the one after the next, in the file.
  let next: LogRecord | undefined;
  while (position > start) {
    const length = Math.min(readSize, position - start);
    readSize = Math.min(readSize * 2, MAX_READ);
    const atEnd = position === end;
    position -= length;
    const chunk = readAt(fd, position, length);
    // Lines [lineStart, lineEnd) from the end of the chunk; the first may be cut.
    let lineEnd = chunk.length;
    // `end` is a line boundary: the newline there ends the last line.
    if (atEnd && chunk[lineEnd - 1] === NEWLINE) lineEnd--;
    for (;;) {
      // (lastIndexOf with a negative offset would search from the end.)
      const newline = lineEnd > 0 ? chunk.lastIndexOf(NEWLINE, lineEnd - 1) : -1;
      if (newline < 0 && position > start) break;
      // A line cut by `start`, and the continuation lines under it, belong to a record begun before it.
      if (newline < 0 && cut) return;
      const lineStart = newline + 1;
      const line = after.length === 0
        ? chunk.toString('utf8', lineStart, lineEnd)
        : lineText([chunk.subarray(lineStart, lineEnd), ...after.reverse()]);
      after = [];
      const offset = position + lineStart;
      if (isRecordStart(line)) {
        below.reverse();
        const record = timeFrom(makeRecord(below.length === 0 ? [line] : [line, ...below], offset), next);
        next = record;
        below = [];
        if (!visit(record)) return;
      } else {
        below.push(line);
        belowOffset = offset;
      }
      if (newline < 0) break;
      lineEnd = newline;
    }
    // The start of the chunk belongs to a line that began in an earlier chunk.
    if (position > start) after.push(chunk.subarray(0, lineEnd));
  }
  // Continuation lines at the top of the file, or of the part read, whose record began before it.
  if (below.length > 0 && start === 0) visit(timeFrom(orphanRecord(below.reverse(), belowOffset), next));
}

/** Which of a file's last records `lastRecords` returns. */
export interface LastRecordsOptions {
  /** Whether a record counts; default every one. */
  keep?: (record: LogRecord) => boolean;
  /** Whether a record is too old: reading stops there, since nothing before it is wanted either. */
  stop?: (record: LogRecord) => boolean;
  /** Records that begin before this offset are not read (default 0). */
  start?: number;
}

/** The last `count` records of `fd` up to `end` (a line boundary), oldest first. */
export function lastRecords(fd: number, end: number, count: number, options: LastRecordsOptions = {}): LogRecord[] {
  const { keep = () => true, stop = () => false, start = 0 } = options;
  const records: LogRecord[] = [];
  if (count > 0) {
    visitRecordsBackward(fd, end, (record) => {
      if (stop(record)) return false;
      return !keep(record) || records.push(record) < count;
    }, start);
  }
  return records.reverse();
}

/**
 * Reads a file forwards from an offset as it grows, turning complete lines into
 * records. A record is complete when the next one starts, or when the bytes
 * read so far end with a newline: the writer writes whole records, so a record
 * whose continuation lines came in a later write is rare, and then they are
 * shown as a record of their own.
 */
export class RecordReader {
  /** Offset of the first byte not yet read. */
  position: number;
  // A line whose newline has not been read yet: the pieces it came in, and where it starts.
  private partial: Buffer[] = [];
  private partialOffset = 0;
  private lines: string[] = [];
  private linesOffset = 0;
  private last: LogRecord | undefined;

  constructor(position: number) {
    this.position = position;
  }

  /** Reads at most `maxBytes` more from `fd` (up to `size`) and returns the records completed. */
  read(fd: number, size: number, maxBytes: number = MAX_READ): LogRecord[] {
    const records: LogRecord[] = [];
    if (size <= this.position) return records;
    const chunk = readAt(fd, this.position, Math.min(maxBytes, size - this.position));
    const chunkStart = this.position;
    this.position += chunk.length;
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      if (this.partial.length === 0) {
        this.take(chunk.toString('utf8', start, newline), chunkStart + start, records);
      } else {
        this.partial.push(chunk.subarray(0, newline));
        this.take(lineText(this.partial), this.partialOffset, records);
        this.partial = [];
      }
      start = newline + 1;
    }
    if (start < chunk.length) {
      if (this.partial.length === 0) this.partialOffset = chunkStart + start;
      // A copy of a short rest: a view would keep the whole chunk in memory.
      this.partial.push(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
    }
    // The record in hand is whole when the line after it has begun and is not
    // indented, or when all there is to read has been read and ends with a
    // newline: the writer writes whole records.
    const whole = this.partial.length === 0 ? this.position >= size : this.partial[0][0] !== SPACE;
    if (whole) this.emit(records);
    return records;
  }

  /** The records still in hand once nothing more will come: a last line without its newline (torn by a crash) included. */
  finish(): LogRecord[] {
    const records: LogRecord[] = [];
    if (this.partial.length > 0) {
      this.take(lineText(this.partial), this.partialOffset, records);
      this.partial = [];
    }
    this.emit(records);
    return records;
  }

  /** Adds a whole line at `offset`: a record's start completes the record in hand. */
  private take(line: string, offset: number, records: LogRecord[]): void {
    if (isRecordStart(line)) {
      this.emit(records);
      this.linesOffset = offset;
    } else if (this.lines.length === 0) {
      this.linesOffset = offset;
    }
    this.lines.push(line);
  }

  private emit(records: LogRecord[]): void {
    if (this.lines.length === 0) return;
    const lines = this.lines;
    this.lines = [];
    const record = timeFrom(isRecordStart(lines[0]) ? makeRecord(lines, this.linesOffset) : orphanRecord(lines, this.linesOffset), this.last);
    this.last = record;
    records.push(record);
  }
}

/** The first record of `fd` (read forwards, at most `limit` bytes), or undefined. */
export function firstRecord(fd: number, size: number, limit = 1024 * 1024): LogRecord | undefined {
  const reader = new RecordReader(0);
  const end = Math.min(size, limit);
  while (reader.position < end) {
    const before = reader.position;
    const records = reader.read(fd, end, FIRST_BACKWARD_READ);
    if (records.length > 0) return records[0];
    if (reader.position === before) break;
  }
  return undefined;
}
