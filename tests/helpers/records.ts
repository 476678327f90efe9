/**
 * What the tests expect a log to look like (docs/design.md §2), written apart from the
 * implementation: the record and file-name patterns, and readers that check a log
 * line by line.
 */
import * as fs from 'node:fs';

/** `YYYY-MM-DD`, as records and log file names hold the date (a pattern's source). */
export const DATE = String.raw`\d{4}-\d{2}-\d{2}`;

/** `YYYY-MM-DD HH:MM:SS,mmm`, the timestamp a text record starts with (a pattern's source). */
export const TIMESTAMP = String.raw`${DATE} \d{2}:\d{2}:\d{2},\d{3}`;

const LEVEL = '(DEBUG|INFO|WARNING|ERROR|CRITICAL)';

/** A line a reader would take for the start of a record: a timestamp, then ` - `. A forged record would match it. */
export const TIMESTAMP_START = new RegExp(`^${TIMESTAMP} - `);

/** The start of a well-formed text record: timestamp, logger name, level. Anything else is a continuation line. */
export const RECORD_START = new RegExp(`^${TIMESTAMP} - \\S+ - ${LEVEL} - `);

/**
 * A whole one-line text record, its parts captured: year, month, day, hours,
 * minutes, seconds, milliseconds (1–7), logger (8), level (9), message (10).
 */
export const TEXT_RECORD = new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}),(\\d{3}) - (\\S+) - ${LEVEL} - (.*)$`);

/** The name of a session log with the default prefix: `automake_YYYY-MM-DD_PID.log`. */
export const LOG_NAME = new RegExp(`^automake_${DATE}_\\d+(-\\d+)?\\.log$`);

/** The lines of a file, without the empty string after the final newline; throws where the last line has none (a torn record). */
export function fileLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error(`${file} does not end with a newline: a record was torn`);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

// A session's own first and last records (docs/design.md §9), in either format.
export const HEADER_RECORD = /^\S+ \S+ - automake - INFO - Session started( |$)|^\{.*"name":"automake","msg":"Session started"/;
export const END_RECORD = /^\S+ \S+ - automake - INFO - Session ended( |$)|^\{.*"name":"automake","msg":"Session ended"/;

/**
 * The lines of a session's log without its header and end records: what the
 * test logged. Throws when either is missing, so that no test passes on a log
 * that lost them.
 */
export function bodyLines(lines: string[]): string[] {
  if (!HEADER_RECORD.test(lines[0] ?? '')) throw new Error(`The log does not start with its header record: ${JSON.stringify(lines[0])}`);
  const last = lines.length - 1;
  if (last < 1 || !END_RECORD.test(lines[last])) throw new Error(`The log does not end with its end record: ${JSON.stringify(lines[last])}`);
  return lines.slice(1, last);
}

/**
 * The sequence numbers of the records `<tag> <n>` that tests/fixtures/scenario.ts
 * logs, in file order. Throws on a line that is not a well-formed record.
 */
export function sequenceOf(file: string, tag: string): number[] {
  const pattern = new RegExp(`^${TIMESTAMP} - automake - INFO - ${tag} (\\d+) x{40}$`);
  const numbers: number[] = [];
  for (const line of fileLines(file)) {
    const match = pattern.exec(line);
    if (match) numbers.push(Number(match[1]));
    else if (!RECORD_START.test(line) && !line.startsWith('    ')) throw new Error(`Malformed line in ${file}: ${JSON.stringify(line.slice(0, 200))}`);
  }
  return numbers;
}

/** The sequence numbers of the JSON records `{"msg":"<tag> <n> …"}` in a file; throws on a line that is not a JSON record. */
export function jsonSequenceOf(file: string, tag: string): number[] {
  const pattern = new RegExp(`^${tag} (\\d+) x{40}$`);
  const numbers: number[] = [];
  for (const line of fileLines(file)) {
    const record = JSON.parse(line) as { msg?: unknown; level?: unknown };
    if (typeof record.msg !== 'string' || typeof record.level !== 'number') throw new Error(`Not a log record: ${line.slice(0, 200)}`);
    const match = pattern.exec(record.msg);
    if (match) numbers.push(Number(match[1]));
  }
  return numbers;
}

/** Describes the first way `numbers` differs from 0, 1, … expected-1: a gap, a duplicate, a reordering or a missing tail. */
export function sequenceProblem(numbers: number[], expected: number): string | undefined {
  for (let i = 0; i < numbers.length; i++) {
    if (numbers[i] !== i) return `record #${i} is ${numbers[i]} (expected ${i}; ${numbers.length} records in all)`;
  }
  if (numbers.length !== expected) return `${numbers.length} records of ${expected}`;
  return undefined;
}
