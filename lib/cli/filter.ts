/**
 * Which records `logs view` shows: `--level`, `--since`, `--until` and `--grep`,
 * parsed from the command line into one filter.
 */
import { LEVEL_VALUES, parseLevel } from '../logging.ts';
import { UsageError } from './errors.ts';
import type { LogRecord } from './read-records.ts';

/** What `logs view` keeps; an absent bound keeps everything on its side. */
export interface RecordFilter {
  /** Lowest level kept (`LEVEL_VALUES`); 0 keeps records without a level too. */
  minLevel: number;
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, inclusive. */
  until: number;
  /** Tested against the whole record, continuation lines included. */
  grep: RegExp | undefined;
}

export const KEEP_ALL: RecordFilter = { minLevel: 0, since: -Infinity, until: Infinity, grep: undefined };

/** Whether `record` passes `filter`. */
export function keeps(filter: RecordFilter, record: LogRecord): boolean {
  if (record.level < filter.minLevel) return false;
  if (record.time < filter.since || record.time > filter.until) return false;
  return filter.grep === undefined || filter.grep.test(record.text);
}

/** `--level LEVEL`: that level and above. */
export function parseLevelFlag(text: string, flag: string, command: string): number {
  const level = parseLevel(text);
  if (level === undefined) {
    throw new UsageError(`Invalid value for ${flag}: ${text} (expected one of ${Object.keys(LEVEL_VALUES).join(', ')})`, command);
  }
  return LEVEL_VALUES[level];
}

/** `--grep REGEX`, case-insensitive. */
export function parseGrepFlag(text: string, flag: string, command: string): RegExp {
  try {
    return new RegExp(text, 'i');
  } catch (error) {
    throw new UsageError(`Invalid value for ${flag}: ${text} (${(error as Error).message.replace(/^Invalid regular expression: /, '')})`, command);
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const AGO = /^(\d+)([smhd])$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * `--since`/`--until`: `YYYY-MM-DD[ HH:MM[:SS]]` in local time, or a time ago
 * (`30s`, `10m`, `2h`, `3d`) counted back from `now`. Returns epoch ms.
 */
export function parseTimeFlag(text: string, flag: string, command: string, now: number): number {
  const trimmed = text.trim();
  const ago = AGO.exec(trimmed);
  if (ago !== null) return now - Number(ago[1]) * UNIT_MS[ago[2]];
  const local = LOCAL_TIME.exec(trimmed);
  if (local !== null) {
    const [year, month, day, hour = 0, minute = 0, second = 0] = local.slice(1).map((part) => (part === undefined ? undefined : Number(part))) as number[];
    const date = new Date(year, month - 1, day, hour, minute, second);
    // new Date() rolls 2026-02-30 over into March; a real date reads back the same.
    const valid = date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day &&
      date.getHours() === hour && date.getMinutes() === minute && date.getSeconds() === second;
    if (valid) return date.getTime();
  }
  throw new UsageError(`Invalid value for ${flag}: ${text} (expected YYYY-MM-DD[ HH:MM[:SS]] in local time, or a time ago such as 30s, 10m, 2h, 3d)`, command);
}
