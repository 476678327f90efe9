/**
 * How `logs view` prints records: bare, as the file has them, or as pino-shaped
 * JSON; with colour on a terminal; led by their session's PID in the merged
 * view. No raw control character from a file reaches the output but newline
 * and tab (docs/design.md §7).
 */
import { escapeControlChars, LEVEL_NAMES, TEXT_SEPARATOR } from '../logging.ts';
import { levelColour, paint, SessionColours } from './colour.ts';
import type { ViewRecord } from './merge-records.ts';
import type { LogRecord } from './read-records.ts';
import { pinoObject } from './record-parts.ts';

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
  const name = LEVEL_NAMES[record.level];
  if (name === undefined) return text;
  // After the timestamp and the logger name, which holds no spaces.
  const at = text.indexOf(TEXT_SEPARATOR + name + TEXT_SEPARATOR, 24);
  if (at < 0 || at > lineEnd) return text;
  const start = at + TEXT_SEPARATOR.length;
  return text.slice(0, start) + paint(name, code) + text.slice(start + name.length);
}
