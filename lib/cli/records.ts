/**
 * Reading session logs record by record: a record is its first line and the
 * continuation lines under it (text), or one line (JSON). Files are read in
 * bounded chunks, backwards from the end (the last N records, a file's last
 * record) or forwards from an offset (following, merging a time range), never
 * whole. A trailing line without its newline is left for the next read: it is
 * a record still being written.
 *
 * Limits: a file's records are taken to be in time order (they are, but for
 * records held before `initLogging` and a clock set back); a line that is
 * neither a record's start nor indented is shown as a continuation of the
 * record above it.
 */
import * as fs from 'node:fs';
import { LEVEL_VALUES, PINO_LEVELS, type LevelName } from '../logging.ts';

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

// A text record starts with its local timestamp, `YYYY-MM-DD HH:MM:SS,mmm - `;
// only a record's first line can (continuation lines are indented).
const TIMESTAMP_SHAPE = '0000-00-00 00:00:00,000 - ';

/** Whether `line` starts with a text record's timestamp: checked character by character, as it runs for every line. */
function hasTimestamp(line: string): boolean {
  if (line.length < TIMESTAMP_SHAPE.length) return false;
  for (let i = 0; i < TIMESTAMP_SHAPE.length; i++) {
    const code = line.charCodeAt(i);
    const shape = TIMESTAMP_SHAPE.charCodeAt(i);
    if (shape === 0x30 ? code < 0x30 || code > 0x39 : code !== shape) return false;
  }
  return true;
}

let cachedSecondText = '\0';
let cachedSecondMs = 0;

/** The epoch ms of a text record's local timestamp; the second is cached, as records come in bursts. */
function textTime(line: string): number {
  if (!line.startsWith(cachedSecondText)) {
    cachedSecondText = line.slice(0, 19);
    const [year, month, day, hour, minute, second] = cachedSecondText.split(/[-: ]/).map(Number);
    cachedSecondMs = new Date(year, month - 1, day, hour, minute, second).getTime();
  }
  return cachedSecondMs + (line.charCodeAt(20) - 0x30) * 100 + (line.charCodeAt(21) - 0x30) * 10 + (line.charCodeAt(22) - 0x30);
}

/** Where a text record's logger name and level are: `<timestamp> - <name> - <LEVEL> - <message>`. */
function textHeader(line: string): { name: string; level: number; messageStart: number } | undefined {
  const nameStart = TIMESTAMP_SHAPE.length;
  const nameEnd = line.indexOf(' - ', nameStart);
  if (nameEnd < 0) return undefined;
  const levelEnd = line.indexOf(' - ', nameEnd + 3);
  if (levelEnd < 0) return undefined;
  const levelText = line.slice(nameEnd + 3, levelEnd);
  if (!Object.hasOwn(LEVEL_VALUES, levelText)) return undefined;
  return { name: line.slice(nameStart, nameEnd), level: LEVEL_VALUES[levelText as LevelName], messageStart: levelEnd + 3 };
}

/** A pino level number (10 trace … 60 fatal) as the core's (trace read as DEBUG); 0 when it is none. */
export function levelFromPino(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  let level = LEVEL_VALUES.DEBUG;
  for (const name of Object.keys(PINO_LEVELS) as LevelName[]) if (value >= PINO_LEVELS[name]) level = LEVEL_VALUES[name];
  return level;
}

/** The core's level number as pino's. */
export function pinoLevel(level: number): number {
  for (const name of Object.keys(LEVEL_VALUES) as LevelName[]) if (LEVEL_VALUES[name] === level) return PINO_LEVELS[name];
  return level;
}

/** The name of the core's level number; undefined when it is none. */
export function levelName(level: number): LevelName | undefined {
  return (Object.keys(LEVEL_VALUES) as LevelName[]).find((name) => LEVEL_VALUES[name] === level);
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
  if (!hasTimestamp(first)) return { time: -Infinity, level: 0, text, offset, json: false };
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
const MAX_READ = 64 * 1024;

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

/**
 * Visits the records of `fd` that end at or before `end` (a line boundary),
 * newest first, until `visit` returns false. Reads backwards in growing chunks;
 * memory holds one chunk and the record being assembled.
 */
export function visitRecordsBackward(fd: number, end: number, visit: (record: LogRecord) => boolean): void {
  let position = end;
  let readSize = FIRST_BACKWARD_READ;
  // Bytes of a line cut by a chunk's start, to be joined with the chunk before.
  let carry: Buffer | null = null;
  // Continuation lines seen so far (newest first), waiting for their first line.
  let below: string[] = [];
  let belowOffset = end;
  // The record visited last: the one after the next, in the file.
  let after: LogRecord | undefined;
  while (position > 0) {
    const length = Math.min(readSize, position);
    readSize = Math.min(readSize * 2, MAX_READ);
    position -= length;
    let chunk = readAt(fd, position, length);
    // Lines [lineStart, lineEnd) from the end of the chunk; the first may be cut.
    let lineEnd = chunk.length;
    if (carry === null) {
      // `end` is a line boundary: the newline there ends the last line.
      if (chunk[lineEnd - 1] === NEWLINE) lineEnd--;
    } else {
      chunk = Buffer.concat([chunk, carry]);
      lineEnd = chunk.length;
    }
    for (;;) {
      // (lastIndexOf with a negative offset would search from the end.)
      const newline = lineEnd > 0 ? chunk.lastIndexOf(NEWLINE, lineEnd - 1) : -1;
      if (newline < 0 && position > 0) break;
      const lineStart = newline + 1;
      const line = chunk.toString('utf8', lineStart, lineEnd);
      const offset = position + lineStart;
      if (isRecordStart(line)) {
        below.reverse();
        const record = timeFrom(makeRecord(below.length === 0 ? [line] : [line, ...below], offset), after);
        after = record;
        below = [];
        if (!visit(record)) return;
      } else {
        below.push(line);
        belowOffset = offset;
      }
      if (newline < 0) break;
      lineEnd = newline;
    }
    carry = position > 0 ? chunk.subarray(0, lineEnd) : null;
    if (carry !== null) carry = Buffer.from(carry);
  }
  if (below.length > 0) visit(timeFrom(orphanRecord(below.reverse(), belowOffset), after));
}

/** The last `count` records of `fd` up to `end`, oldest first. */
export function lastRecords(fd: number, end: number, count: number): LogRecord[] {
  const records: LogRecord[] = [];
  if (count > 0) visitRecordsBackward(fd, end, (record) => records.push(record) < count);
  return records.reverse();
}

/**
 * Reads a file forwards from an offset as it grows, turning complete lines into
 * records. A record is complete when the next one starts, or when the bytes
 * read so far end with a newline: the writer writes whole records, so a record
 * whose continuation lines came in a later write is rare, and then they are
 * shown as a continuation of it.
 */
export class RecordReader {
  /** Offset of the first byte not yet read. */
  position: number;
  private partial: Buffer | null = null;
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
    const length = Math.min(maxBytes, size - this.position);
    let chunk = readAt(fd, this.position, length);
    const chunkStart = this.position - (this.partial?.length ?? 0);
    this.position += chunk.length;
    if (this.partial !== null) chunk = Buffer.concat([this.partial, chunk]);
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      this.take(chunk.toString('utf8', start, newline), chunkStart + start, records);
      start = newline + 1;
    }
    this.partial = start < chunk.length ? Buffer.from(chunk.subarray(start)) : null;
    // The record in hand is whole when the line after it has begun and is not
    // indented, or when all there is to read has been read and ends with a
    // newline: the writer writes whole records.
    const whole = this.partial === null ? this.position >= size : this.partial[0] !== SPACE;
    if (whole) this.emit(records);
    return records;
  }

  /** The records still in hand once nothing more will come: a last line without its newline (torn by a crash) included. */
  finish(): LogRecord[] {
    const records: LogRecord[] = [];
    if (this.partial !== null) {
      this.take(this.partial.toString('utf8'), this.position - this.partial.length, records);
      this.partial = null;
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

// ---------------------------------------------------------------------------
// What a record says
// ---------------------------------------------------------------------------

/** A record's logger name, level name, message and fields, parsed back from either format. */
export interface RecordParts {
  name: string;
  msg: string;
  fields: Record<string, unknown>;
}

/** Logger name, message and extra fields of a record: exact for JSON, best effort for text. */
export function recordParts(record: LogRecord): RecordParts {
  if (record.json) {
    try {
      const value = JSON.parse(record.text) as Record<string, unknown>;
      const { level: _level, time: _time, pid: _pid, name, msg, ...fields } = value;
      return { name: typeof name === 'string' ? name : '', msg: typeof msg === 'string' ? msg : '', fields };
    } catch {
      return { name: '', msg: record.text, fields: {} };
    }
  }
  const lines = record.text.split('\n');
  const header = hasTimestamp(lines[0]) ? textHeader(lines[0]) : undefined;
  if (header === undefined) return { name: '', msg: record.text, fields: {} };
  const name = header.name;
  // Continuation lines are indented by four spaces; without them they are the message's own lines.
  const body = [lines[0].slice(header.messageStart), ...lines.slice(1).map((line) => (line.startsWith('    ') ? line.slice(4) : line))];
  const errorAt = errorStackStart(body);
  if (errorAt > 0) {
    return { name, msg: body.slice(0, errorAt).join('\n'), fields: { err: errorFromStack(body.slice(errorAt)) } };
  }
  const last = body.length - 1;
  const { text, fields } = splitTextFields(body[last]);
  body[last] = text;
  return { name, msg: body.join('\n'), fields };
}

// An Error's stack as the text format writes it: `Error: message` and `    at …` lines under it.
const ERROR_HEADER = /^(?:Caused by: )?[A-Za-z_$][\w$.]*(?::|$)/;

function errorStackStart(body: string[]): number {
  for (let i = 1; i < body.length - 1; i++) {
    if (ERROR_HEADER.test(body[i]) && body[i + 1].startsWith('    at ')) return i;
  }
  return -1;
}

/** pino's `{ type, message, stack }` from the lines of a text record's stack. */
function errorFromStack(lines: string[]): Record<string, unknown> {
  const header = lines[0];
  const colon = header.indexOf(': ');
  return {
    type: colon < 0 ? header : header.slice(0, colon),
    message: colon < 0 ? '' : header.slice(colon + 2),
    stack: lines.join('\n'),
  };
}

/**
 * Splits ` key=value` pairs off the end of a text record's line: the longest
 * run of pairs at the end, each key and value bare or a JSON string, as the
 * writer formats them. A message that itself ends in `a=b` is read as a field:
 * the text format cannot tell them apart.
 */
export function splitTextFields(line: string): { text: string; fields: Record<string, unknown> } {
  const pairs: [string, unknown][] = [];
  let end = line.length;
  for (;;) {
    const value = tokenBefore(line, end);
    if (value === null || value.start === 0 || line[value.start - 1] !== '=') break;
    const key = tokenBefore(line, value.start - 1);
    if (key === null || key.start === 0 || line[key.start - 1] !== ' ' || typeof key.value !== 'string' || key.value === '') break;
    pairs.push([key.value, value.quoted ? quotedValue(value.value as string) : bareValue(value.value as string)]);
    end = key.start - 1;
  }
  const fields: Record<string, unknown> = {};
  for (let i = pairs.length - 1; i >= 0; i--) fields[pairs[i][0]] = pairs[i][1];
  return { text: line.slice(0, end), fields };
}

/** The token ending at `end`: a JSON string, or a run of characters other than space, `=` and `"`. */
function tokenBefore(line: string, end: number): { start: number; value: unknown; quoted: boolean } | null {
  if (end === 0) return null;
  if (line[end - 1] === '"') {
    for (let quote = line.lastIndexOf('"', end - 2); quote >= 0; quote = line.lastIndexOf('"', quote - 1)) {
      let backslashes = 0;
      while (line[quote - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 1) continue;
      try {
        return { start: quote, value: JSON.parse(line.slice(quote, end)), quoted: true };
      } catch {
        return null;
      }
    }
    return null;
  }
  let start = end;
  while (start > 0 && !' ="'.includes(line[start - 1])) start--;
  return start === end ? null : { start, value: line.slice(start, end), quoted: false };
}

/** A quoted value: objects and arrays are written as quoted JSON, so they are read back as such. */
function quotedValue(text: string): unknown {
  return text.startsWith('{') || text.startsWith('[') ? parseJsonOr(text) : text;
}

/** `text` parsed as JSON, or `text` itself when it is not JSON. */
function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** A bare value as the writer would have written it: a number, true, false or null, else the text. */
function bareValue(text: string): unknown {
  if (JSON_NUMBER.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return text;
}

// Fields pino's records always have; a text record's field with one of these
// names gets a trailing underscore, as the JSON writer does.
const CORE_FIELDS = new Set(['level', 'time', 'pid', 'name', 'msg']);

/** A record as one pino-shaped object, whichever format it was written in; `pid` is its session's. */
export function pinoObject(record: LogRecord, pid: number): Record<string, unknown> {
  if (record.json) {
    try {
      const value = JSON.parse(record.text) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not JSON after all (a torn line): carried as its text below.
    }
  }
  const out: Record<string, unknown> = {};
  if (record.level > 0) out.level = pinoLevel(record.level);
  if (Number.isFinite(record.time)) out.time = record.time;
  out.pid = pid;
  const { name, msg, fields } = recordParts(record);
  if (name !== '') out.name = name;
  out.msg = msg;
  for (const [key, value] of Object.entries(fields)) {
    // The header's `pid` says what the record's own says already.
    if (CORE_FIELDS.has(key) && out[key] === value) continue;
    out[CORE_FIELDS.has(key) ? key + '_' : key] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Output safety
// ---------------------------------------------------------------------------

// What a file may hold that could drive a terminal: C0 controls other than tab
// and newline, DEL, and the C1 range (U+009B is a one-character CSI).
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` from a file made safe to print: control characters other than tab
 * and newline written as `\r` or `\xNN` (text), or as `\u00NN` (JSON, which
 * stays valid JSON). The one place that decides what reaches the terminal.
 */
export function escapeControlChars(text: string, json = false): string {
  return text.replace(CONTROL_CHARS, (c) => {
    const code = c.charCodeAt(0);
    if (json) return '\\u' + code.toString(16).padStart(4, '0');
    return c === '\r' ? '\\r' : '\\x' + code.toString(16).padStart(2, '0');
  });
}

// ---------------------------------------------------------------------------
// Session header and end records
// ---------------------------------------------------------------------------

// The messages of a session's first and last records, as the contract words them (docs/design.md §9).
export const HEADER_MESSAGE = 'Session started';
export const END_MESSAGE = 'Session ended';

/** Whether `record` is INFO `message` from a root logger (a name without a dot), as the core writes its header and end. */
function isSessionRecord(record: LogRecord, message: string): boolean {
  if (record.level !== LEVEL_VALUES.INFO || !record.text.includes(message)) return false;
  const { name, msg } = recordParts(record);
  return msg === message && name !== '' && !name.includes('.');
}

/** Whether `record` is a session's header record. */
export function isHeaderRecord(record: LogRecord): boolean {
  return isSessionRecord(record, HEADER_MESSAGE);
}

/** Whether `record` is a session's end record. */
export function isEndRecord(record: LogRecord): boolean {
  return isSessionRecord(record, END_MESSAGE);
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
