/**
 * What a record says, parsed back from either format: its logger name, message
 * and fields; the same record as one pino-shaped object; and whether it is a
 * session's header or end record. Exact for JSON records, best effort for text,
 * whose fields cannot always be told from the message.
 */
import { CONTINUATION, END_MESSAGE, HEADER_MESSAGE, JSON_CORE_FIELDS, LEVEL_NAMES, LEVEL_VALUES, PINO_LEVELS } from '../logging.ts';
import { textHeader, type LogRecord } from './read-records.ts';

// What starts a text record's continuation lines.
const INDENT = CONTINUATION.slice(1);

/** The core's level number as pino's. */
export function pinoLevel(level: number): number {
  const name = LEVEL_NAMES[level];
  return name === undefined ? level : PINO_LEVELS[name];
}

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
  const header = textHeader(lines[0]);
  if (header === undefined) return { name: '', msg: record.text, fields: {} };
  const name = header.name;
  // Continuation lines are indented; without the indent they are the message's own lines.
  const body = [lines[0].slice(header.messageStart), ...lines.slice(1).map((line) => (line.startsWith(INDENT) ? line.slice(INDENT.length) : line))];
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
    // The header's `pid` says what the record's own says already; another core
    // field's name gets a trailing underscore, as the JSON writer does.
    if (JSON_CORE_FIELDS.has(key) && out[key] === value) continue;
    out[JSON_CORE_FIELDS.has(key) ? key + '_' : key] = value;
  }
  return out;
}

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
