/**
 * Session logging for automake: one log file per process, old logs pruned at startup, and no record lost, torn or reordered
 * however the process ends. The vendorable core: it imports only `node:fs`, so it can be copied alone into another project;
 * docs/design.md is its contract. It reads top to bottom: types and options, levels and the record format, redaction, naming and
 * pruning, opening the file, the writer, exit handling, initLogging.
 *
 * It assumes one process writes each log file, and that `initLogging` runs in the main thread, whose exit and signal hooks are
 * the process's; its writes run on that thread too (LogWriter says why), so none is ever in flight when a record must reach the
 * kernel. Not promised: records below ERROR not yet written when the process is killed (SIGKILL).
 *
 * @example
 * // With initLogging and getLogger imported from this file:
 * const session = initLogging();           // prune, then open automake_YYYY-MM-DD_PID.log
 * getLogger('automake.agent').info('started', { task: 'build' });
 */
import * as fs from 'node:fs';

// ==== Types and options ====

/** Level names, as in Python's `logging`: DEBUG < INFO < WARNING < ERROR < CRITICAL. */
export type LevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';
/** `text`: Python's line format. `json`: one pino-compatible object per line. */
export type LogFormat = 'text' | 'json';
/** Structured fields appended to a record, or an `Error` whose stack is logged. */
export type LogExtra = Record<string, unknown> | Error;
/** The `redact` option: on, off, or on with extra key names and patterns (design §8). */
export type RedactOption = boolean | { keys?: string[]; patterns?: RegExp[] };

/** Options of `initLogging`; an option wins over its environment variable (ENV_VARIABLES), which wins over the default
 * (docs/design.md §1): `dir` (`defaultLogDir()`), `level` (`INFO`, any case), `retentionDays` (7; `Infinity` turns pruning off),
 * `format` (`text`), `prefix` (`automake`), `maxRecordBytes` (1 MiB, at least 1 KiB), `maxSessionBytes` (an eighth of
 * `maxTotalBytes`), `maxTotalBytes` (10% of the file system, 16 MiB to 1 GiB), `minFreeBytes` (the smaller of 1 GiB and 5% of
 * it; 0: no rule), `env` (`process.env`), `header` (fields for the first record), `redact` (on; `false`, or `{ keys, patterns }`
 * to add to it, §8). */
export interface LoggingOptions {
  dir?: string; level?: string; retentionDays?: number; format?: LogFormat; prefix?: string; maxRecordBytes?: number;
  maxSessionBytes?: number; maxTotalBytes?: number; minFreeBytes?: number; env?: Record<string, string | undefined>;
  header?: Record<string, unknown>; redact?: RedactOption;
}

/** Where a setting's value came from. */
export type SettingSource = 'option' | 'environment' | 'default';
/** A resolved setting; `variable` is the environment variable it came from or whose text, `rejected`, was not valid. */
export interface Setting<T> { value: T; source: SettingSource; variable?: string; rejected?: string }

/** The settings a session runs with. */
export interface LogSettings {
  dir: Setting<string>; level: Setting<LevelName>; retentionDays: Setting<number>; format: Setting<LogFormat>; prefix: Setting<string>;
  maxRecordBytes: Setting<number>; maxSessionBytes: Setting<number>; maxTotalBytes: Setting<number>; minFreeBytes: Setting<number>;
  redact: Setting<boolean>;
}

/** Options of `pruneOldLogs`: `retentionDays` (7), `prefix`, `now` (epoch ms), `dryRun`; the budget after the age rule, `maxTotalBytes` (Infinity), `minFreeBytes` (0). */
export interface PruneOptions { retentionDays?: number; prefix?: string; now?: number; dryRun?: boolean; maxTotalBytes?: number; minFreeBytes?: number }
/** What a prune did: full paths deleted, matching regular files kept, per-file errors, bytes deleted and bytes left. */
export interface PruneReport { deleted: string[]; kept: number; errors: { file: string; code: string; message: string }[]; deletedBytes: number; totalBytes: number }

/** A named logger. `warn` is an alias of `warning`; `log` takes the level by name, as Python's `Logger.log`. */
export interface Logger {
  readonly name: string;
  debug(message: string, extra?: LogExtra): void; info(message: string, extra?: LogExtra): void;
  warning(message: string, extra?: LogExtra): void; warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void; critical(message: string, extra?: LogExtra): void;
  log(level: LevelName, message: string, extra?: LogExtra): void;
  /** Each line of `text` (a string, or UTF-8 bytes as read from a pipe, not kept past the call) as a record of its own, all with
   * one timestamp; a final newline starts no empty line. `exec` relays output so. */
  lines(level: LevelName, text: string | Uint8Array): void;
  /** Whether a record at `level` would be written now. */
  isEnabledFor(level: LevelName): boolean;
  /** A logger named `<this name>.<name>`. */
  child(name: string): Logger;
}

/** The open session returned by `initLogging` (docs/design.md §1): its file, root logger (`automake`), startup prune report,
 * records `dropped` (size limit, write failure; normally 0), settings, and one warning per environment value ignored;
 * `highestLevel` is the highest level loggers wrote, the session's own records aside. `close()` writes the end record with
 * `exitCode` (default `process.exitCode`, else 0), closes the file and detaches; it never rejects. */
export interface LogSession {
  readonly filePath: string; readonly logger: Logger; readonly pruned: PruneReport; readonly dropped: number;
  readonly settings: LogSettings; readonly warnings: readonly string[]; readonly highestLevel: LevelName | undefined;
  /** The device and inode of the file: how this process knows its own log, whatever its name (§12). */
  readonly identity: FileIdentity;
  /** Writes every queued record to the file before returning. */
  flushSync(): void;
  close(exitCode?: number): Promise<void>;
}

/** Thrown when logging cannot be set up: no log directory, or the file cannot be created or opened; `path` names it. */
export class LoggingSetupError extends Error {
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'LoggingSetupError';
    this.path = path;
  }
}

/** The defaults of the options that have a fixed one; `dir`'s is `defaultLogDir()`. */
export const DEFAULTS: {
  readonly level: 'INFO'; readonly retentionDays: 7; readonly format: 'text'; readonly prefix: 'automake'; readonly redact: true; readonly maxRecordBytes: 1048576;
} = Object.freeze({ level: 'INFO', retentionDays: 7, format: 'text', prefix: 'automake', redact: true, maxRecordBytes: 1048576 });

type EnvOption = 'dir' | 'level' | 'retentionDays' | 'format' | 'maxRecordBytes' | 'maxSessionBytes' | 'maxTotalBytes' | 'minFreeBytes' | 'redact';
/** The environment variable behind each option that has one. */
export const ENV_VARIABLES: Readonly<Record<EnvOption, string>> = Object.freeze({
  dir: 'AUTOMAKE_LOG_DIR', level: 'AUTOMAKE_LOG_LEVEL', retentionDays: 'AUTOMAKE_LOG_RETENTION_DAYS', format: 'AUTOMAKE_LOG_FORMAT',
  maxRecordBytes: 'AUTOMAKE_LOG_MAX_RECORD_SIZE', maxSessionBytes: 'AUTOMAKE_LOG_MAX_SESSION_SIZE', maxTotalBytes: 'AUTOMAKE_LOG_MAX_TOTAL_SIZE',
  minFreeBytes: 'AUTOMAKE_LOG_MIN_FREE', redact: 'AUTOMAKE_LOG_REDACT',
});
const OPTION_NAMES = new Set([...Object.keys(ENV_VARIABLES), 'prefix', 'env', 'header']);

// ==== Settings: an option, else its environment variable, else the default ====

/** A value as an error message quotes it: strings in quotes, so that "" and " " show. */
function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'bigint' ? `${value}n` : String(value);
}

/** The `code` of a system error (`ENOENT`), or `UNKNOWN` when it has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** The message of anything thrown: an Error's `message`, or the value as a string. */
export function errorMessage(error: unknown): string { return error instanceof Error ? error.message : String(error); }

/** What `get` returns, or undefined when it throws: for what may be missing or not ours to read (/proc, a deleted cwd). */
function attempt<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

function checkRetentionDays(value: unknown, what: string): number {
  if (typeof value === 'number' && value > 0) return value;
  throw new TypeError(`${what} must be a positive number of days (or Infinity): received ${describe(value)}`);
}

function checkPrefix(value: unknown): string {
  // A prefix is part of a file name and of the pruner's pattern: characters that need no quoting in either.
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value)) return value;
  throw new TypeError(`"prefix" must be letters, digits, ".", "_" or "-", starting with a letter or digit: received ${describe(value)}`);
}

/** Parses a level name case-insensitively (`warn` is `WARNING`); `undefined` when it is not one. */
export function parseLevel(value: string): LevelName | undefined {
  const name = value.trim().toUpperCase();
  return name === 'WARN' ? 'WARNING' : Object.hasOwn(LEVEL_VALUES, name) ? (name as LevelName) : undefined;
}

/** The number of a level name given in code; a name that is not one is a caller's bug, and says so. */
function levelValue(level: LevelName): number {
  if (Object.hasOwn(LEVEL_VALUES, level)) return LEVEL_VALUES[level];
  throw new TypeError(`Level must be one of ${Object.keys(LEVEL_VALUES).join(', ')}: received ${describe(level)}`);
}

/** The value `words` gives a word of the environment's, in any case; undefined for any other. */
function parseWord<T>(text: string, words: Readonly<Record<string, T>>): T | undefined {
  const word = text.trim().toLowerCase();
  return Object.hasOwn(words, word) ? words[word] : undefined;
}
const FORMAT_WORDS = { text: 'text', json: 'json' } as const;
const SWITCH_WORDS = { on: true, true: true, 1: true, yes: true, off: false, false: false, 0: false, no: false };

/** Days as the environment gives them: a plain decimal (`7`, `2.5`) or `Infinity`; not `0x10`, `1e400` or `0`. */
function parseRetention(text: string): number | undefined {
  const trimmed = text.trim();
  const days = trimmed === 'Infinity' ? Infinity : /^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
  return days > 0 && (days === Infinity || Number.isFinite(days)) ? days : undefined;
}

// Backtracking can cost a slice's length (USER_PATTERN_SLICE) to the power of a pattern's unbounded repetitions.
const MAX_UNBOUNDED_REPETITIONS = 3;
/** Why a user pattern could backtrack without practical bound, or undefined: a repeated group holding a repetition, alternation or
 * group (`(a+)+$`: exponential), or too many of `*`, `+`, `{n,}` (`a*a*a*a*b`). Escapes and classes count as one character. */
function backtrackingRisk(source: string): string | undefined {
  const plain = source.replace(/\\./g, '_').replace(/\[[^\]]*\]/g, '_');
  if (/\([^()]*(?:[*+|}]|\([^()]*\))[^()]*\)(?:[*+]|\{\d*,?\d*\})/.test(plain)) {
    return 'must not repeat a group that holds a repetition or an alternation, which can take exponential time';
  }
  if ((plain.match(/[*+]|\{\d*,\}/g) ?? []).length <= MAX_UNBOUNDED_REPETITIONS) return undefined;
  return `may repeat without bound (*, +, {n,}) at most ${MAX_UNBOUNDED_REPETITIONS} times, to bound its backtracking`;
}

function checkRedact(value: unknown): void {
  if (typeof value === 'boolean') return;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof RegExp) {
    throw new TypeError(`"redact" must be true, false or { keys, patterns }: received ${describe(value)}`);
  }
  const unknown = Object.keys(value).find((key) => key !== 'keys' && key !== 'patterns');
  if (unknown !== undefined) throw new TypeError(`Unknown "redact" option "${unknown}": expected keys or patterns`);
  const { keys, patterns } = value as { keys?: unknown; patterns?: unknown };
  if (keys !== undefined && (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string' && key !== ''))) {
    throw new TypeError(`"redact.keys" must be an array of non-empty strings: received ${describe(keys)}`);
  }
  if (patterns !== undefined && (!Array.isArray(patterns) || !patterns.every((pattern) => pattern instanceof RegExp))) {
    throw new TypeError(`"redact.patterns" must be an array of regular expressions: received ${describe(patterns)}`);
  }
  for (const pattern of (patterns ?? []) as RegExp[]) {
    const risk = backtrackingRisk(pattern.source) ?? (pattern.test('') ? 'must not match the empty string' : undefined);
    if (risk !== undefined) throw new TypeError(`"redact.patterns" ${risk}: received ${String(pattern)}`);
  }
}

const KIB = 1024, MIB = 1024 * KIB, GIB = 1024 * MIB;
const SIZE_UNITS: Readonly<Record<string, number>> = { K: KIB, M: MIB, G: GIB, T: 1024 * GIB };

/** Parses a size as the environment gives it: a whole number of bytes with an optional `K`, `M`, `G` or `T` (powers of 1024,
 * case-insensitive, `KiB` and `MB` spellings accepted), or `unlimited` (Infinity). `undefined` when it is not one. */
export function parseSize(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === 'UNLIMITED') return Infinity;
  const match = /^(\d+)\s*(?:([KMGT])(?:I?B)?|B)?$/.exec(upper);
  const bytes = match === null ? NaN : Number(match[1]) * (match[2] === undefined ? 1 : SIZE_UNITS[match[2]]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size exactly, for messages: `256 KiB`, `1 GiB`, `1000 bytes`, `unlimited`. */
function sizeText(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  const unit = ['T', 'G', 'M', 'K'].find((u) => bytes >= SIZE_UNITS[u]! && bytes % SIZE_UNITS[u]! === 0);
  return unit === undefined ? `${bytes} bytes` : `${bytes / SIZE_UNITS[unit]!} ${unit}iB`;
}

/** A size given in code: a whole number of bytes, at least `min`, or Infinity for no limit. */
function checkSize(value: unknown, what: string, min = 0): number {
  if (typeof value === 'number' && (value === Infinity || (Number.isSafeInteger(value) && value >= min))) return value;
  const least = min > 0 ? ` of at least ${sizeText(min)}` : '';
  throw new TypeError(`${what} must be a whole number of bytes${least}, or Infinity for no limit: received ${describe(value)}`);
}

// A record's head and the note of its bound take a few hundred bytes: below this no room is left for the message.
const MIN_RECORD_BYTES = KIB;
// journald's SystemMaxUse (10%) and SystemKeepFree (5% here: journald answers for all the system's logs, we for one tool's), at
// most 1 GiB rather than 4. One session may take an eighth: eight runaway sessions fill the budget, one cannot.
const TOTAL_SHARE = 0.1, TOTAL_FLOOR = 16 * MIB, FREE_SHARE = 0.05, BUDGET_CEILING = GIB, SESSIONS_PER_BUDGET = 8;

/** The size and free bytes of the file system `dir` is (or will be) on; undefined where statfs fails or is missing. */
function fileSystemSpace(dir: string): { size: number; free: number } | undefined {
  if (typeof fs.statfsSync !== 'function') return undefined;
  for (let path = dir; ; path = parentPath(path)) {
    try {
      const stats = fs.statfsSync(path);
      // bavail, not bfree: what we may use, without the blocks kept for root.
      return { size: stats.blocks * stats.bsize, free: stats.bavail * stats.bsize };
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || parentPath(path) === path) return undefined;
    }
  }
}

/** The default budget for logs in `dir`, in whole MiB, or KiB for a share under 1 MiB (a file system under 20 MiB still keeps some
 * space free). Unmeasurable: the largest budget the rule gives, and no free-space rule, which could not be checked either. */
function defaultBudget(dir: string): { maxTotalBytes: number; minFreeBytes: number } {
  const size = fileSystemSpace(dir)?.size;
  if (size === undefined) return { maxTotalBytes: BUDGET_CEILING, minFreeBytes: 0 };
  const share = (fraction: number) => {
    const unit = size * fraction >= MIB ? MIB : KIB;
    return Math.min(BUDGET_CEILING, Math.floor((size * fraction) / unit) * unit);
  };
  return { maxTotalBytes: Math.max(TOTAL_FLOOR, share(TOTAL_SHARE)), minFreeBytes: share(FREE_SHARE) };
}

/** Checks options given in code: a bad value throws a TypeError naming the option and the value. */
function checkOptions(options: LoggingOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Options must be an object: received ${describe(options)}`);
  const unknown = Object.keys(options).find((key) => !OPTION_NAMES.has(key));
  if (unknown !== undefined) throw new TypeError(`Unknown option "${unknown}": expected one of ${[...OPTION_NAMES].join(', ')}`);
  const { dir, level, format, header } = options;
  if (dir !== undefined && (typeof dir !== 'string' || dir === '')) throw new TypeError(`"dir" must be a non-empty path: received ${describe(dir)}`);
  if (level !== undefined && (typeof level !== 'string' || parseLevel(level) === undefined)) {
    throw new TypeError(`"level" must be one of ${Object.keys(LEVEL_VALUES).join(', ')}: received ${describe(level)}`);
  }
  if (options.retentionDays !== undefined) checkRetentionDays(options.retentionDays, '"retentionDays"');
  if (format !== undefined && format !== 'text' && format !== 'json') throw new TypeError(`"format" must be "text" or "json": received ${describe(format)}`);
  if (options.prefix !== undefined) checkPrefix(options.prefix);
  if (options.maxRecordBytes !== undefined) checkSize(options.maxRecordBytes, '"maxRecordBytes"', MIN_RECORD_BYTES);
  for (const name of ['maxSessionBytes', 'maxTotalBytes', 'minFreeBytes'] as const) if (options[name] !== undefined) checkSize(options[name], `"${name}"`);
  const plain = typeof header === 'object' && header !== null && [Object.prototype, null].includes(Object.getPrototypeOf(header));
  if (header !== undefined && !plain) throw new TypeError(`"header" must be a plain object of fields: received ${describe(header)}`);
  if (options.redact !== undefined) checkRedact(options.redact);
}

/** The settings in force, and a warning for each environment value that was ignored. */
export interface ResolvedSettings { settings: LogSettings; warnings: string[] }

/** Resolves the settings: an option wins over its environment variable, which wins over the default. Bad environment values fall
 * back to the default and come back as warnings, to be logged as the session's first records. */
export function resolveSettings(options: LoggingOptions = {}): ResolvedSettings {
  checkOptions(options);
  const env = options.env ?? process.env;
  const warnings: string[] = [];
  const resolve = <T>(name: EnvOption, option: T | undefined, fallback: T, parse: (text: string) => T | undefined, shown: (value: T) => string = String): Setting<T> => {
    const variable = ENV_VARIABLES[name];
    const text = env[variable];
    if (option !== undefined) return { value: option, source: 'option' };
    if (text === undefined || text.trim() === '') return { value: fallback, source: 'default' };
    const value = parse(text);
    if (value !== undefined) return { value, source: 'environment', variable };
    warnings.push(`Ignoring ${variable}=${JSON.stringify(text)}: not a valid value; using the default ${shown(fallback)}`);
    return { value: fallback, source: 'default', variable, rejected: text };
  };
  const recordSize = (text: string) => {
    const bytes = parseSize(text);
    return bytes !== undefined && bytes >= MIN_RECORD_BYTES ? bytes : undefined;
  };
  const level = resolve('level', options.level === undefined ? undefined : parseLevel(options.level), DEFAULTS.level, parseLevel);
  const retentionDays = resolve('retentionDays', options.retentionDays, DEFAULTS.retentionDays as number, parseRetention);
  const format = resolve('format', options.format, DEFAULTS.format as LogFormat, (text) => parseWord(text, FORMAT_WORDS));
  const redact = resolve('redact', options.redact === undefined ? undefined : options.redact !== false, DEFAULTS.redact as boolean,
    (text) => parseWord(text, SWITCH_WORDS));
  const prefix: Setting<string> = { value: options.prefix ?? DEFAULTS.prefix, source: options.prefix === undefined ? 'default' : 'option' };
  // Any non-empty text names a directory, so none is rejected here: opening it says what is wrong.
  const fromEnv = env[ENV_VARIABLES.dir];
  const dir: Setting<string> = options.dir !== undefined ? { value: options.dir, source: 'option' }
    : fromEnv ? { value: fromEnv, source: 'environment', variable: ENV_VARIABLES.dir } : { value: defaultLogDir(env), source: 'default' };
  const maxRecordBytes = resolve('maxRecordBytes', options.maxRecordBytes, DEFAULTS.maxRecordBytes as number, recordSize, sizeText);
  const budget = defaultBudget(dir.value);
  const maxTotalBytes = resolve('maxTotalBytes', options.maxTotalBytes, budget.maxTotalBytes, parseSize, sizeText);
  const maxSessionBytes = resolve('maxSessionBytes', options.maxSessionBytes, Math.floor(maxTotalBytes.value / SESSIONS_PER_BUDGET), parseSize, sizeText);
  const minFreeBytes = resolve('minFreeBytes', options.minFreeBytes, budget.minFreeBytes, parseSize, sizeText);
  return { settings: { dir, level, retentionDays, format, prefix, redact, maxRecordBytes, maxSessionBytes, maxTotalBytes, minFreeBytes }, warnings };
}

// ==== Levels and record format ====

/** Python's numbers. Records carry their level as one of these, and the threshold test compares them. */
export const LEVEL_VALUES: Readonly<Record<LevelName, number>> = Object.freeze({ DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 });
export const LEVEL_NAMES: Readonly<Record<number, LevelName>> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' };
/** pino's numbers, which JSON records carry, so that pino-pretty and log shippers read them as they are. */
export const PINO_LEVELS: Readonly<Record<LevelName, number>> = Object.freeze({ DEBUG: 20, INFO: 30, WARNING: 40, ERROR: 50, CRITICAL: 60 });
/** How a text record's first line starts: its local timestamp `YYYY-MM-DD HH:MM:SS,mmm`, then TEXT_SEPARATOR. */
export const TEXT_RECORD_START: RegExp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - /;
/** What separates a text record's timestamp, logger name, level and message. */
export const TEXT_SEPARATOR = ' - ';
// Causes and aggregated errors can form cycles; this deep, and this many errors in one record, are plenty to find the origin.
const MAX_ERROR_DEPTH = 5, MAX_ERRORS = 20;

// Control characters but tab and newline could drive a terminal that `cat`s the log (ESC, U+009B CSI). The writer escapes them
// per chunk, after redaction saw the text as logged. JSON.stringify escapes C0 already, but leaves DEL and C1 raw.
const CONTROL_CHARS_TEXT = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, CONTROL_CHARS_JSON = /[\x7f-\x9f]/g;
// Every continuation line starts with this, so no message can start a line that looks like a record.
export const CONTINUATION = '\n    ';

/** Records with control characters escaped: in text `\r` as `\\r` and the rest as `\\xNN`; in JSON DEL and C1 as `\\u00NN`. */
/** `text` with every control character but tab and newline escaped, as the writer does (in JSON all as `\\u00NN`, since a
 * line it did not write may hold C0 raw): what a reader applies before a file's bytes reach a terminal. */
export function escapeControlChars(text: string, json: boolean = false): string {
  return json ? text.replace(CONTROL_CHARS_TEXT, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : escapeControls(text, false);
}

function escapeControls(text: string, json: boolean): string {
  if (json) return text.replace(CONTROL_CHARS_JSON, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return text.replace(CONTROL_CHARS_TEXT, (c) => (c === '\r' ? '\\r' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')));
}

/** Indents every line after the first, so a message cannot forge a record. */
function indentLines(text: string): string { return text.indexOf('\n') < 0 ? text : text.replaceAll('\n', CONTINUATION); }
function pad2(n: number): string { return n < 10 ? '0' + n : String(n); }

/** `YYYY-MM-DD` in local time. */
function localDate(date: Date): string {
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

// Formatting a Date costs far more than a record, and the part up to the second changes once a second.
let cachedSecond = NaN, cachedSecondText = '';
/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as Python's logging writes it. */
function formatTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecondText = `${localDate(d)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())},`;
    cachedSecond = second;
  }
  return cachedSecondText + String(ms - second * 1000).padStart(3, '0');
}

// Every key at every depth of an extra field, and every string, passes here (§8).
function jsonReplacer(key: string, value: unknown): unknown {
  if (key !== '' && rules !== null && isSensitiveKey(rules, key)) return REDACTED;
  if (typeof value === 'string') return cleanText(value);
  if (typeof value === 'bigint') return value.toString();
  return value instanceof Error ? serializeError(value) : value;
}

/** JSON for any value; where it has none (a cycle, a throwing getter) a placeholder text, as a JSON string if `quoted`. */
function toJson(value: unknown, quoted = true): string {
  try {
    return JSON.stringify(value, jsonReplacer) ?? 'null';
  } catch (error) {
    const placeholder = `[unserializable: ${errorMessage(error)}]`;
    return quoted ? JSON.stringify(placeholder) : placeholder;
  }
}

/** The errors an AggregateError (or any error with an `errors` array) holds. */
function innerErrors(error: Error): Error[] {
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) ? errors.filter((inner): inner is Error => inner instanceof Error) : [];
}

/** pino's error shape, `{ type, message, stack }`, with `code`, `aggregateErrors` and the `cause` chain when present. */
function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message, stack: errorStack(error) };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (depth >= MAX_ERROR_DEPTH) return out;
  const inner = innerErrors(error);
  if (inner.length > 0) out['aggregateErrors'] = inner.slice(0, MAX_ERRORS).map((e) => serializeError(e, depth + 1));
  if (error.cause !== undefined) out['cause'] = error.cause instanceof Error ? serializeError(error.cause, depth + 1) : error.cause;
  return out;
}

function errorStack(error: Error): string {
  return typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
}

/** The stacks of an error, of the errors it aggregates and of its causes, each labelled, added to `out`. */
function errorStacks(error: Error, label = '', depth = 0, out: string[] = []): string[] {
  out.push(label + errorStack(error));
  if (depth >= MAX_ERROR_DEPTH) return out;
  const inner = innerErrors(error);
  for (let i = 0; i < inner.length && out.length < MAX_ERRORS; i++) errorStacks(inner[i]!, `Error ${i + 1} of ${inner.length}: `, depth + 1, out);
  if (error.cause instanceof Error && out.length < MAX_ERRORS) errorStacks(error.cause, 'Caused by: ', depth + 1, out);
  return out;
}

/** A value as text, redacted: strings as they are, an Error as `Name: message`, a Date in ISO 8601, the rest as JSON. */
function stringifyValue(value: unknown): string {
  if (typeof value === 'string') return cleanText(value);
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object' || value === null) return String(value);
  if (value instanceof Error) return cleanText(`${value.name}: ${value.message}`);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return toJson(value, false);
}

/** As Go's slog text handler: quoted when it would not read back as one token (empty, or with a space, `=`, quote or control). */
function quoteIfNeeded(text: string): string { return text === '' || /[\s="\x00-\x1f\x7f-\x9f]/.test(text) ? JSON.stringify(text) : text; }
/** An extra field's value as it may be written: `[REDACTED]` when its key is sensitive (§8 rule 1). */
function fieldValue(key: string, value: unknown): unknown { return rules !== null && isSensitiveKey(rules, key) ? REDACTED : value; }
// Fields a JSON record always has: an extra field so named is written with a trailing underscore rather than shadow one.
export const JSON_CORE_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'name', 'msg']);

/** The parts of a record that depend only on the logger and the level, per level value; `json[0]` follows the time. */
interface RecordPrefixes { text: Record<number, string>; json: Record<number, string> }

function buildPrefixes(name: string): RecordPrefixes {
  const text: Record<number, string> = {};
  const json: Record<number, string> = { 0: `,"pid":${process.pid},"name":${JSON.stringify(name)},"msg":` };
  for (const [levelName, value] of Object.entries(LEVEL_VALUES)) {
    text[value] = TEXT_SEPARATOR + name + TEXT_SEPARATOR + levelName + TEXT_SEPARATOR;
    json[value] = `{"level":${PINO_LEVELS[levelName as LevelName]},"time":`;
  }
  return { text, json };
}

/** Formats one record, without its newline; `message` is already redacted. */
type RecordFormatter = (time: number, level: number, prefixes: RecordPrefixes, message: string, extra: LogExtra | undefined) => string;

/** One text record: `YYYY-MM-DD HH:MM:SS,mmm - <name> - <LEVEL> - <message>`, then ` key=value` fields or an error's stacks. */
function formatTextRecord(time: number, level: number, prefixes: RecordPrefixes, message: string, extra: LogExtra | undefined): string {
  let line = formatTimestamp(time) + prefixes.text[level] + indentLines(message);
  if (extra instanceof Error) {
    for (const stack of errorStacks(extra)) line += CONTINUATION + indentLines(cleanText(stack));
  } else if (extra !== undefined && extra !== null) {
    for (const key of Object.keys(extra)) line += ' ' + quoteIfNeeded(key) + '=' + quoteIfNeeded(stringifyValue(fieldValue(key, extra[key])));
  }
  return line;
}

/** One JSON record: pino's field names and numeric levels, the extra fields merged in or an Error as `err`. */
function formatJsonRecord(time: number, level: number, prefixes: RecordPrefixes, message: string, extra: LogExtra | undefined): string {
  let line = prefixes.json[level]! + time + prefixes.json[0] + JSON.stringify(message);
  if (extra === undefined || extra === null) return line + '}';
  if (extra instanceof Error) return line + ',"err":' + toJson(extra) + '}';
  for (const key of Object.keys(extra)) {
    const value = fieldValue(key, extra[key]);
    if (value !== undefined) line += ',' + JSON.stringify(JSON_CORE_FIELDS.has(key) ? key + '_' : key) + ':' + toJson(value);
  }
  return line + '}';
}

function messageText(message: unknown): string { return typeof message === 'string' ? message : stringifyValue(message); }

/** What ends a record cut to its bound (§6). */
function truncationNote(bytes: number): string { return `… [truncated ${bytes} bytes]`; }

/** `record` (escaped, without its newline) within `maxBytes` of UTF-8: whole when it fits, else cut on a character boundary and
 * ended by the truncation note. A JSON record is cut inside a string value and closed again, so it stays JSON. */
function boundRecord(record: string, maxBytes: number, json: boolean): string {
  const bytes = Buffer.from(record, 'utf8');
  if (bytes.length <= maxBytes) return record;
  // Room for the note (its number has no more digits than the record's size) and, in JSON, the closing quote and brackets.
  const noteBytes = Buffer.byteLength(truncationNote(bytes.length));
  for (let reserve = json ? 32 : 0; ;) {
    let cut = Math.max(0, maxBytes - noteBytes - reserve);
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    const kept = bytes.toString('utf8', 0, cut);
    if (!json) return kept + truncationNote(bytes.length - cut);
    const closed = closeJsonCut(kept);
    const text = closed.text + truncationNote(bytes.length - Buffer.byteLength(closed.text)) + '"' + closed.closers;
    const over = Buffer.byteLength(text) - maxBytes;
    if (over <= 0 || cut === 0) return text;
    reserve += over;
  }
}

/** The longest start of `json` (an object cut short) ending inside a string value (a cut in a key or between values goes back to
 * the last one), and the brackets that close what it opened; the caller adds the note and the closing quote. */
function closeJsonCut(json: string): { text: string; closers: string } {
  const stack: string[] = [];
  let expectKey = false;
  let last = { text: '', closers: '' };
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let end = i + 1;
      // To the closing quote, or to the last whole character or escape before the cut.
      for (let step = 1; end < json.length && json[end] !== '"'; end += step) {
        step = json[end] === '\\' ? (json[end + 1] === 'u' ? 6 : 2) : 1;
        if (end + step > json.length) break;
      }
      const closers = [...stack].reverse().join('');
      if (end >= json.length || json[end] !== '"') return expectKey ? last : { text: json.slice(0, end), closers };
      if (!expectKey) last = { text: json.slice(0, end), closers };
      i = end;
    } else if (c === '{' || c === '[') {
      stack.push(c === '{' ? '}' : ']');
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' || c === ':') {
      expectKey = c === ',' && stack[stack.length - 1] === '}';
    }
  }
  return last;
}

// ==== Redaction (design §8): secrets never reach the file ====

/** What replaces a secret. */
const REDACTED = '[REDACTED]';

// A key is sensitive when, lower-cased without `_` and `-`, it ends with one of these or is a short name (`db_password`, `AccountKey`;
// not `author`, `max_tokens`), or is in environment style and ends in `_KEY`, `_PASS` or `_PWD`.
const SENSITIVE_KEY_ENDINGS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'accesskey', 'privatekey', 'secretkey',
  'signingkey', 'encryptionkey', 'accountkey', 'sharedaccesskey', 'signature', 'authorization', 'cookie', 'credentials?', 'sessionid'];
const SENSITIVE_KEY = new RegExp(`^(?:auth|pass|pwd|sig)$|(?:${SENSITIVE_KEY_ENDINGS.join('|')})$`);
const ENV_STYLE_SECRET_KEY = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:KEY|PASS|PWD)$/;
// Keys seen are remembered, up to this many (a program logs few distinct keys).
const KEY_CACHE_LIMIT = 10_000;
// What a sensitive key's value may be without being a secret: nothing, or a word for nothing.
const NOT_SECRETS = new Set(['', 'none', 'null', 'nil', 'undefined', 'true', 'false', REDACTED.toLowerCase()]);
// User patterns run on slices this long at most, so that a bad one's input is bounded; one that took this long in all is dropped.
const USER_PATTERN_SLICE = 256, USER_PATTERN_BUDGET_MS = 200;

/** Whether a logger is inside a private key printed line by line (§8), across its records. */
interface RedactState { inPrivateKey: boolean }
/** Records a secret found at `from` … `to` of the text a rule searches, and what replaces it. */
type Edit = (from: number, to: number, replacement: string) => void;

/** One rule of §8. `gate` is a cheap literal test every match passes; a rule searches only texts its gate holds for, and there is
 * no other pre-check, so a rule added later (a user pattern, a token format) runs wherever its own gate says it may match. */
interface Rule {
  readonly gate: (text: string, state: RedactState) => boolean;
  readonly find: (text: string, edit: Edit, redactor: Redactor, state: RedactState) => void;
}

/** The rules in force: the built-in ones, plus the user's keys and patterns. */
interface Redactor { readonly rules: readonly Rule[]; readonly userKeys: ReadonlySet<string>; readonly keyCache: Map<string, boolean> }

function makeRedactor(keys: readonly string[] = [], patterns: readonly RegExp[] = []): Redactor {
  return { rules: [...RULES, ...patterns.map(userPatternRule)], userKeys: new Set(keys.map((key) => key.toLowerCase())), keyCache: new Map() };
}

function isSensitiveKey(redactor: Redactor, key: string): boolean {
  let sensitive = redactor.keyCache.get(key);
  if (sensitive === undefined) {
    const lower = key.toLowerCase();
    sensitive = SENSITIVE_KEY.test(lower.replace(/[_-]/g, '')) || ENV_STYLE_SECRET_KEY.test(key) || redactor.userKeys.has(lower);
    if (redactor.keyCache.size < KEY_CACHE_LIMIT) redactor.keyCache.set(key, sensitive);
  }
  return sensitive;
}

/** Whether the character code `c` is a word character, `\w`; with `key`, also `-` and `.`, as in a key. */
function isWordChar(c: number, key = false): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || (key && (c === 0x2d || c === 0x2e));
}

/** The key that ends just before `end` in `text` (up to two leading `-` left out), or '' when there is none. */
function keyBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && isWordChar(text.charCodeAt(start - 1), true)) start--;
  // `-{0,2}`, then a letter or `_`: `--token`, `-t`, `token`; not `---x`, `-1`.
  for (let dashes = 0; dashes < 2 && text.charCodeAt(start) === 0x2d; dashes++) start++;
  const first = text.charCodeAt(start);
  return start < end && isWordChar(first) && !(first >= 0x30 && first <= 0x39) ? text.slice(start, end) : '';
}

// Between a key (read back in code) and its value: `key=`, `key = `, `key: `, `"key": ` or `"key":` (maybe escaped), `--key `.
const KEY_SEPARATOR = /=|:[ \t]|["']:|--(?=[A-Za-z_])/g;
/** A key, where its value starts, whether prose may follow it (`key: `), and a quote opened before it, which ends the value. */
interface KeyAt { key: string; valueStart: number; prose: boolean; quote: string }

/** Where the blanks (spaces, tabs) from `at` on end. */
function afterBlanks(text: string, at: number): number {
  while (text[at] === ' ' || text[at] === '\t') at++;
  return at;
}

/** The key a separator found by KEY_SEPARATOR belongs to; undefined when it has none. */
function keyOfSeparator(text: string, at: number, separator: string): KeyAt | undefined {
  const first = separator[0];
  if (first === '-') {
    // `--key value`: not inside a word (`a--b c`); the value follows spaces and is no flag.
    if (isWordChar(text.charCodeAt(at - 1), true) && text[at - 1] !== '.') return undefined;
    let keyEnd = at + 2;
    while (keyEnd < text.length && isWordChar(text.charCodeAt(keyEnd), true)) keyEnd++;
    const valueStart = afterBlanks(text, keyEnd);
    if (valueStart === keyEnd || text[valueStart] === '-') return undefined;
    return { key: text.slice(at + 2, keyEnd), valueStart, prose: false, quote: '' };
  }
  if (first === '=') {
    // Not a comparison or an arrow: `==`, `!=`, `<=`, `>=`, `=>`.
    if (text[at + 1] === '=' || text[at + 1] === '>' || '=!<>'.includes(text[at - 1] ?? '')) return undefined;
    let keyEnd = at;
    while (text[keyEnd - 1] === ' ') keyEnd--;
    const key = keyBefore(text, keyEnd);
    return key === '' ? undefined : { key, valueStart: keyEnd < at ? afterBlanks(text, at + 1) : at + 1, prose: false, quote: '' };
  }
  if (first === ':') {
    const key = keyBefore(text, at);
    const quote = text[at - key.length - 1];
    return key === '' ? undefined : { key, valueStart: afterBlanks(text, at + 2), prose: true, quote: quote === '"' || quote === "'" ? quote : '' };
  }
  // `"key":`: the opening quote is the closing one, escaped when that is.
  const escaped = text[at - 1] === '\\';
  const keyEnd = escaped ? at - 1 : at;
  const key = keyBefore(text, keyEnd);
  const open = keyEnd - key.length;
  if (key === '' || text[open - 1] !== first || (escaped && text[open - 2] !== '\\')) return undefined;
  return { key, valueStart: afterBlanks(text, at + 2), prose: false, quote: '' };
}

/** The end of the value at `start`: quoted (`"…"`, `'…'`, `\"…\"`), or bare up to a space, quote, `\`, `,`, `;` or `&`, less
 * closing brackets it did not open (`f(token=None)`). -1 for none, or an object or array, whose keys are looked at. */
function valueEnd(text: string, start: number): number {
  const c = text[start];
  if (c === '"' || c === "'") {
    for (let i = start + 1; i < text.length && text[i] !== '\n'; i++) {
      if (text[i] === '\\' && c === '"') i++;
      else if (text[i] === c) return i + 1;
    }
    return -1;
  }
  if (c === '\\' && text[start + 1] === '"') {
    const close = text.indexOf('\\"', start + 2);
    return close < 0 || text.slice(start, close).includes('\n') ? -1 : close + 2;
  }
  if (c === '{' || c === '[') return -1;
  let end = start;
  while (end < text.length && !/[\s"'\\,;&]/.test(text[end]!)) end++;
  for (let closer = text[end - 1]; end > start && (closer === ')' || closer === ']' || closer === '}'); closer = text[end - 1]) {
    const value = text.slice(start, end);
    if (value.split({ ')': '(', ']': '[', '}': '{' }[closer]).length >= value.split(closer).length) break;
    end--;
  }
  return end > start ? end : -1;
}

// `Authorization: <scheme> <credentials>`: the scheme word stays (Bearer, Basic, Bot, Digest, AWS4-HMAC-SHA256 …), as `Bearer` or
// `Basic` does before any sensitive value; the credentials run to the value's quote, else to the line's end (Digest has fields).
const SCHEME_WORD = /[A-Za-z][\w.+-]*[ ]+(?=\S)/y;
const BEARER_OR_BASIC = /(?:bearer|basic)[ ]+(?=\S)/iy;
/** Redacts the value of the sensitive key `at`, its quotes kept; returns where the search goes on. */
function redactValue(text: string, at: KeyAt, edit: Edit): number {
  let start = at.valueStart;
  const quote = text[start] === '"' || text[start] === "'" ? text[start]! : '';
  const scheme = at.key.toLowerCase().endsWith('authorization') ? SCHEME_WORD : BEARER_OR_BASIC;
  scheme.lastIndex = start + quote.length;
  if (scheme.test(text)) {
    const end = text.indexOf(quote || at.quote || '\n', scheme.lastIndex);
    if (scheme === SCHEME_WORD || quote === '') {
      edit(scheme.lastIndex, end < 0 ? text.length : end, REDACTED);
      return end < 0 ? text.length : end;
    }
    start = scheme.lastIndex;
  }
  const end = valueEnd(text, start);
  if (end < 0) return start;
  const value = text.slice(start, end);
  const open = /^\\?["']/.exec(value)?.[0] ?? '';
  // After `key:` a lower-case word is prose, or a name (`passwd: files`), not a secret.
  if (NOT_SECRETS.has(value.slice(open.length, value.length - open.length).toLowerCase()) || (at.prose && /^[a-z]+$/.test(value))) return end;
  edit(start, end, open + REDACTED + open);
  return end;
}

const KEY_VALUE_RULE: Rule = {
  gate: (text) => text.includes('=') || text.includes(':') || text.includes('--'),
  find(text, edit, redactor) {
    KEY_SEPARATOR.lastIndex = 0;
    for (let m = KEY_SEPARATOR.exec(text); m !== null; m = KEY_SEPARATOR.exec(text)) {
      const at = keyOfSeparator(text, m.index, m[0]);
      if (at !== undefined && isSensitiveKey(redactor, at.key)) KEY_SEPARATOR.lastIndex = Math.max(KEY_SEPARATOR.lastIndex, redactValue(text, at, edit));
    }
  },
};

/** A rule that looks at each place `literal` occurs: its gate is that the text holds it. */
function literalRule(literal: string, findAt: (text: string, at: number, edit: Edit) => void): Rule {
  return {
    gate: (text) => text.includes(literal),
    find(text, edit) {
      for (let at = text.indexOf(literal); at >= 0; at = text.indexOf(literal, at + 1)) findAt(text, at, edit);
    },
  };
}

// A bare `Bearer <token>`: 8 or more token characters, not all letters, so that prose ("the Bearer of bad news") is left alone.
const BEARER_AT = /Bearer[ ]+((?=[A-Za-z0-9._~+/-]{8})(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]+=*)/y;
const BEARER_RULE = literalRule('Bearer', (text, at, edit) => {
  const before = text.charCodeAt(at - 1);
  BEARER_AT.lastIndex = at;
  const m = before === 0x2d || isWordChar(before) ? null : BEARER_AT.exec(text);
  if (m !== null) edit(BEARER_AT.lastIndex - m[1]!.length, BEARER_AT.lastIndex, REDACTED);
});

// The password in `scheme://user:password@`; the scheme (a letter, then `[A-Za-z0-9+.-]`) is read back in code.
const URL_CREDENTIALS_AT = /[^\s:@/"'\\]*:([^\s@/"'\\]+)(?=@)/y;
const URL_PASSWORD_RULE = literalRule('://', (text, at, edit) => {
  let start = at;
  while (start > 0 && /[A-Za-z0-9+.-]/.test(text[start - 1]!)) start--;
  if (start === at || !/[A-Za-z]/.test(text[start]!) || text[start - 1] === '_') return;
  URL_CREDENTIALS_AT.lastIndex = at + 3;
  const m = URL_CREDENTIALS_AT.exec(text);
  if (m !== null) edit(URL_CREDENTIALS_AT.lastIndex - m[1]!.length, URL_CREDENTIALS_AT.lastIndex, REDACTED);
});

// Passwords as command-line options, only within 256 characters after a client that reads one there (elsewhere `-p` means other
// things: `mkdir -p`, `ssh -p 22`): MySQL, MariaDB, sshpass, `docker login` and kin, MongoDB, redis-cli `-a`, curl `-u user:pw`.
const PASSWORD_OPTIONS: { client: RegExp; option: RegExp; afterColon?: boolean }[] = [
  { client: /\b(?:mysql\w*|mariadb(?:-\w+)?|sshpass)\b/, option: /-p(?=[^\s"'\\-])/y },
  { client: /\b(?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|helm)\b.*\blogin|mongo\w*)\b/, option: /-p[ ]+(?=[^\s"'\\-])/y },
  { client: /\bredis-cli\b/, option: /-a[ ]+(?=[^\s"'\\-])/y },
  { client: /\bcurl\b/, option: /(?:-u[ ]*|--user[ =])(?=[^\s"'\\-])/y, afterColon: true },
];
const PASSWORD_OPTION_RULE = literalRule(' -', (text, at, edit) => {
  for (const { client, option, afterColon } of PASSWORD_OPTIONS) {
    option.lastIndex = at + 1;
    if (!option.test(text) || !client.test(text.slice(Math.max(text.lastIndexOf('\n', at) + 1, at - 256), at))) continue;
    const end = valueEnd(text, option.lastIndex);
    const start = afterColon === true ? text.indexOf(':', option.lastIndex) + 1 : option.lastIndex;
    if (end > start && start > 0) edit(start, end, REDACTED);
    break;
  }
});

// Provider token formats: the literal each starts with (at a word boundary), what follows, and whether the literal stays.
const TOKEN_FORMATS: readonly (readonly [prefix: string, rest: string, keepPrefix?: boolean])[] = [
  ['sk-', '[A-Za-z0-9_-]{20,}'], // OpenAI, Anthropic and other `sk-` API keys
  ['sk_live_', '[A-Za-z0-9]{16,}'], ['sk_test_', '[A-Za-z0-9]{16,}'], ['rk_live_', '[A-Za-z0-9]{16,}'], ['rk_test_', '[A-Za-z0-9]{16,}'], // Stripe
  ['whsec_', '[A-Za-z0-9+/=]{16,}'],
  ['ghp_', '[A-Za-z0-9]{20,}'], ['gho_', '[A-Za-z0-9]{20,}'], ['ghu_', '[A-Za-z0-9]{20,}'], ['ghs_', '[A-Za-z0-9]{20,}'], ['ghr_', '[A-Za-z0-9]{20,}'], // GitHub
  ['github_pat_', '[A-Za-z0-9_]{20,}'], ['glpat-', '[A-Za-z0-9_-]{20,}'], // GitHub, GitLab
  ['AKIA', '[A-Z0-9]{16}(?![A-Za-z0-9])'], ['ASIA', '[A-Z0-9]{16}(?![A-Za-z0-9])'], // AWS access key IDs
  ['xox', '[abposr]-[A-Za-z0-9-]{10,}'], ['xapp-', '[A-Za-z0-9-]{10,}'], ['hooks.slack.com/services/', '[A-Za-z0-9_/-]{10,}', true], // Slack
  ['discord.com/api/webhooks/', '[0-9]+/[A-Za-z0-9_-]{10,}', true], ['discordapp.com/api/webhooks/', '[0-9]+/[A-Za-z0-9_-]{10,}', true],
  ['AIza', '[A-Za-z0-9_-]{35}'], ['npm_', '[A-Za-z0-9]{36}'], ['pypi-', '[A-Za-z0-9_-]{40,}'], ['hf_', '[A-Za-z0-9]{30,}'], // Google, npm, PyPI, Hugging Face
  ['SG.', '[A-Za-z0-9_-]{16,}\\.[A-Za-z0-9_-]{16,}'], // SendGrid
  ['shpat_', '[a-fA-F0-9]{32}'], ['shpss_', '[a-fA-F0-9]{32}'], ['shpca_', '[a-fA-F0-9]{32}'], ['shppa_', '[a-fA-F0-9]{32}'], // Shopify
  ['eyJ', '[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*'], // JSON Web Tokens
];
// Every format's prefix, longer first, so that a match names the format that really starts there.
const TOKEN_PREFIX = new RegExp(
  TOKEN_FORMATS.map(([prefix]) => prefix).sort((a, b) => b.length - a.length).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');
const TOKEN_REST = new Map(TOKEN_FORMATS.map(([prefix, rest, keepPrefix]) => [prefix, { rest: new RegExp(rest, 'y'), keepPrefix }]));
const TOKEN_RULE: Rule = {
  // The formats' literal prefixes, made from TOKEN_FORMATS itself; search() ignores and keeps lastIndex.
  gate: (text) => text.search(TOKEN_PREFIX) >= 0,
  find(text, edit) {
    TOKEN_PREFIX.lastIndex = 0;
    for (let m = TOKEN_PREFIX.exec(text); m !== null; m = TOKEN_PREFIX.exec(text)) {
      // A word character before is no boundary, but the `m` that ends an ANSI colour code is.
      if (isWordChar(text.charCodeAt(m.index - 1)) && !/\x1b\[[0-9;]*m$/.test(text.slice(Math.max(0, m.index - 16), m.index))) continue;
      const { rest, keepPrefix } = TOKEN_REST.get(m[0])!;
      rest.lastIndex = TOKEN_PREFIX.lastIndex;
      if (!rest.test(text)) continue;
      edit(keepPrefix === true ? TOKEN_PREFIX.lastIndex : m.index, rest.lastIndex, REDACTED);
      TOKEN_PREFIX.lastIndex = rest.lastIndex;
    }
  },
};

// Private keys: each line from BEGIN … PRIVATE KEY to END, in one text or across a logger's records; newlines stay.
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/g;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/g;
const PRIVATE_KEY_RULE: Rule = {
  gate: (text, state) => state.inPrivateKey || text.includes('PRIVATE KEY-----'),
  find(text, edit, _redactor, state) {
    for (let at = 0; ;) {
      if (!state.inPrivateKey) {
        PEM_BEGIN.lastIndex = at;
        if (PEM_BEGIN.exec(text) === null) return;
        at = PEM_BEGIN.lastIndex;
      }
      PEM_END.lastIndex = at;
      const end = PEM_END.exec(text);
      const to = end === null ? text.length : end.index;
      for (let line = at; line < to; line = text.indexOf('\n', line) + 1 || to) {
        const lineEnd = Math.min(to, text.indexOf('\n', line) < 0 ? to : text.indexOf('\n', line));
        if (lineEnd > line) edit(line, lineEnd, REDACTED);
      }
      state.inPrivateKey = end === null;
      if (end === null) return;
      at = PEM_END.lastIndex;
    }
  },
};

// Patterns dropped for being slow, to be reported by the session as WARNING records.
const slowPatterns: RegExp[] = [];

/** A user pattern as a rule: it can match anything, so its gate is only its time budget; it runs a slice at a time. */
function userPatternRule(source: RegExp): Rule {
  // Our own global copy: every match is replaced, and the caller's lastIndex is never touched.
  const pattern = new RegExp(source.source, source.flags.includes('g') ? source.flags : source.flags + 'g');
  let spentMs = 0;
  return {
    gate: () => spentMs <= USER_PATTERN_BUDGET_MS,
    find(text, edit) {
      for (let start = 0, end = 0; start < text.length && spentMs <= USER_PATTERN_BUDGET_MS; start = end) {
        end = Math.min(text.length, start + USER_PATTERN_SLICE);
        const cut = end < text.length ? Math.max(text.lastIndexOf('\n', end), text.lastIndexOf(' ', end)) : -1;
        if (cut > start + USER_PATTERN_SLICE / 2) end = cut;
        const started = Date.now();
        const slice = text.slice(start, end);
        pattern.lastIndex = 0;
        for (let m = pattern.exec(slice); m !== null; m = pattern.exec(slice)) edit(start + m.index, start + pattern.lastIndex, REDACTED);
        spentMs += Date.now() - started;
      }
      if (spentMs > USER_PATTERN_BUDGET_MS) slowPatterns.push(pattern);
    },
  };
}

/** The built-in rules, in the order they run. */
const RULES: readonly Rule[] = [PRIVATE_KEY_RULE, KEY_VALUE_RULE, BEARER_RULE, URL_PASSWORD_RULE, PASSWORD_OPTION_RULE, TOKEN_RULE];

// The edits a rule found, left to right: start, end, replacement.
const edits: (number | string)[] = [];
const collectEdit: Edit = (from, to, replacement) => void edits.push(from, to, replacement);
/** `text` with every secret the rules find replaced, from `from` on: the part before `from` (the end of a record continued in
 * this one) is only context, and a secret that starts there is replaced from the start of what is returned. */
function redactFrom(redactor: Redactor, text: string, from: number, state: RedactState): string {
  let out = text;
  for (const rule of redactor.rules) {
    if (!rule.gate(out, state)) continue;
    rule.find(out, collectEdit, redactor, state);
    let result = '', done = 0, mapped = -1;
    for (let i = 0; i < edits.length; i += 3) {
      const start = edits[i] as number;
      if (start < done) continue;
      if (mapped < 0 && from < (edits[i + 1] as number)) mapped = result.length + Math.max(0, Math.min(from, start) - done);
      result += out.slice(done, start) + edits[i + 2];
      done = edits[i + 1] as number;
    }
    if (edits.length === 0) continue;
    from = mapped < 0 ? result.length + from - done : mapped;
    out = result + out.slice(done);
    edits.length = 0;
  }
  return from === 0 ? out : out.slice(from);
}

// The rules records are redacted with, set by initLogging (the defaults until then); null when redaction is off.
let rules: Redactor | null = makeRedactor();
const DEFAULT_REDACTOR = makeRedactor();
/** A text of a record (a field's string, an error's stack) redacted, without a logger's state. */
function cleanText(text: string): string { return rules === null ? text : redactFrom(rules, text, 0, { inPrivateKey: false }); }

/** `text` with the secrets that §8 lists replaced by `[REDACTED]`: what the log does to every record. Uses the active session's
 * keys and patterns (the built-in rules alone before `initLogging`, or when redaction is off). */
export function redactText(text: string): string { return redactFrom(rules ?? DEFAULT_REDACTOR, text, 0, { inPrivateKey: false }); }

// A record logged `continued: true` (exec's pieces of a long line) goes on in the next: this much of it is redacted again with it.
const CONTINUED_CONTEXT_CHARS = 4096;
/** A message (or block of lines) of `logger`, redacted with its state: a private key's lines, a continued record's end. */
function cleanMessage(logger: LoggerImpl, text: string, continued: boolean): string {
  if (rules === null) return text;
  const context = logger.continuedFrom;
  const whole = context === '' ? text : context + text;
  logger.continuedFrom = continued ? whole.slice(-CONTINUED_CONTEXT_CHARS) : '';
  return redactFrom(rules, whole, context.length, logger.redactState);
}

// ==== File naming and locations ====

const IS_WINDOWS = process.platform === 'win32';
const SEP = IS_WINDOWS ? '\\' : '/';

/** `<prefix>_YYYY-MM-DD_<pid>.log` with the local date of `date`; with a `sequence` n of 2 or more `…_<pid>-<n>.log`, the name a
 * session takes when the plain one is taken (§2). Default prefix `automake`. */
export function logFileName(date: Date, pid: number, prefix: string = DEFAULTS.prefix, sequence = 1): string {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new TypeError(`"pid" must be a positive integer: received ${describe(pid)}`);
  if (!Number.isSafeInteger(sequence) || sequence <= 0) throw new TypeError(`"sequence" must be a positive integer: received ${describe(sequence)}`);
  return `${checkPrefix(prefix)}_${localDate(date)}_${pid}${sequence > 1 ? `-${sequence}` : ''}.log`;
}

const namePatterns = new Map<string, RegExp>();
/** `^<prefix>_\d{4}-\d{2}-\d{2}_\d+(-\d+)?\.log$`, exactly: what does not match is no session log. */
function logNamePattern(prefix: string): RegExp {
  let pattern = namePatterns.get(prefix);
  if (pattern === undefined) {
    pattern = new RegExp(`^${checkPrefix(prefix).replace(/[.]/g, '\\.')}_(\\d{4}-\\d{2}-\\d{2})_(\\d+)(?:-(\\d+))?\\.log$`);
    namePatterns.set(prefix, pattern);
  }
  return pattern;
}

/** The date, PID and sequence (1, or n for `-<n>`) in a session log's name (default prefix `automake`); `undefined` for others. */
export function parseLogFileName(name: string, prefix: string = DEFAULTS.prefix): { date: string; pid: number; sequence: number } | undefined {
  const match = logNamePattern(prefix).exec(name);
  const date = match?.[1];
  return match === null || date === undefined ? undefined : { date, pid: Number(match[2]), sequence: Number(match[3] ?? 1) };
}

/** `path` made absolute against the working directory, with `.` and `..` resolved (on Windows only made absolute). */
function absolutePath(path: string): string {
  const full = (IS_WINDOWS ? /^([A-Za-z]:)?[\\/]/.test(path) : path.startsWith('/')) ? path : joinPath(process.cwd(), path);
  if (IS_WINDOWS) return full;
  const parts: string[] = [];
  for (const part of full.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return '/' + parts.join('/');
}

function joinPath(dir: string, name: string): string { return dir.endsWith('/') || dir.endsWith(SEP) ? dir + name : dir + SEP + name; }

/** The directory `path` is in: `.` for a bare name; the root is its own. */
function parentPath(path: string): string {
  const end = path.length > 1 && (path.endsWith('/') || path.endsWith(SEP)) ? path.length - 1 : path.length;
  const cut = Math.max(path.lastIndexOf('/', end - 1), path.lastIndexOf(SEP, end - 1));
  if (cut < 0) return path === '.' ? path : '.';
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The platform's log directory: `$XDG_STATE_HOME/automake/logs` or `~/.local/state/automake/logs`, `~/Library/Logs/automake` on
 * macOS, `%LOCALAPPDATA%\automake\Logs` on Windows. Without a home directory, a `LoggingSetupError` naming the variable to set. */
export function defaultLogDir(env: Record<string, string | undefined> = process.env, platform: string = process.platform): string {
  const has = (name: string) => typeof env[name] === 'string' && env[name] !== '';
  if (platform === 'win32') {
    if (has('LOCALAPPDATA')) return `${env['LOCALAPPDATA']}\\automake\\Logs`;
    if (has('USERPROFILE')) return `${env['USERPROFILE']}\\AppData\\Local\\automake\\Logs`;
    throw new LoggingSetupError('Cannot find a log directory: set LOCALAPPDATA or AUTOMAKE_LOG_DIR', '');
  }
  if (platform === 'darwin' && has('HOME')) return `${env['HOME']}/Library/Logs/automake`;
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  if (platform !== 'darwin' && has('XDG_STATE_HOME') && env['XDG_STATE_HOME']!.startsWith('/')) return `${env['XDG_STATE_HOME']}/automake/logs`;
  if (has('HOME')) return `${env['HOME']}/.local/state/automake/logs`;
  throw new LoggingSetupError('Cannot find a log directory: set HOME or AUTOMAKE_LOG_DIR', '');
}

// ==== Pruning, and whether a session still runs ====

const DAY_MS = 24 * 60 * 60 * 1000;

/** The time a file's age is measured from: `birthtimeMs` when finite and > 0, else `mtimeMs`. */
export function logFileTime(stats: { birthtimeMs?: number; mtimeMs: number }): number {
  const birth = stats.birthtimeMs;
  return typeof birth === 'number' && Number.isFinite(birth) && birth > 0 ? birth : stats.mtimeMs;
}

/** When a log whose age is measured from `fileTimeMs` (its `logFileTime`) turns old at `retentionDays`: once the present is later,
 * the pruner deletes it unless its session is still running. `Infinity` when `retentionDays` is. */
export function pruneDueTime(fileTimeMs: number, retentionDays: number): number { return fileTimeMs + retentionDays * DAY_MS; }

// PIDs above this do not exist on any platform we know (Linux's pid_max limit is 2^22).
const MAX_PID = 2 ** 22;

/** A file as the kernel knows it, whatever its name: its device and inode. */
export interface FileIdentity { dev: number; ino: number }
/** What the liveness tests need of a log file: its `fs.Stats`, or these fields of them. */
export interface LogFileStats extends FileIdentity { mtimeMs: number }
/** Where a session runs (§12): its host and, on Linux, its boot and PID namespace. */
export interface SessionPlace { host?: string; bootId?: string; pidNamespace?: string }

// A session touches its file this often, for readers that cannot ask about its PID (§12); untouched for ten, it has ended.
const HEARTBEAT_MS = 30_000, IDLE_ENDED_MS = 5 * 60_000;

/** Whether process `pid` of this PID namespace is the session that wrote a log with these stats: it exists and (on Linux) started
 * at most a second after the file's mtime, or holds the file open; without `file`, whether it exists. For a log of this host, boot
 * and PID namespace only: for any log, ask `isSessionRunning`. */
export function isSessionAlive(pid: number, file?: LogFileStats): boolean {
  // kill(0) would signal our own process group and always succeed.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > MAX_PID || !pidExists(pid)) return false;
  if (file === undefined) return true;
  // A process started after the log was written only reuses the PID, and must not keep an ended session's log for ever.
  const startedMs = processStartMs(pid);
  if (startedMs === undefined || startedMs <= file.mtimeMs + START_SLACK_MS) return true;
  // Unless it holds the file open: a wall clock stepped forward (a VM resumed) makes every process look younger than it is.
  return holdsOpen(pid, file);
}

/** Whether the session writing the log at `filePath` (`stats`, its lstat) may still run, wherever it runs (§12): this process's
 * own file does; a log ending in the end record has ended; one whose header names this host, boot and PID namespace (or this host
 * and neither, as older logs do) runs while its PID does (`isSessionAlive`); any other runs while modified in the last five
 * minutes. Reads the file's first and last bytes: ask only about logs about to be deleted or shown. */
export function isSessionRunning(filePath: string, stats: LogFileStats): boolean {
  // This process's own file, whatever its name.
  if (active !== null && active.identity.dev === stats.dev && active.identity.ino === stats.ino) return true;
  const ends = readLogEnds(filePath, stats);
  // Gone: another process deleted it first, which the caller counts as deleted.
  if (ends === 'gone' || ends?.ended === true) return false;
  const place = ends?.place;
  const here = thisPlace();
  const olderHeader = place?.bootId === undefined && place?.pidNamespace === undefined;
  if (place?.host !== undefined && place.host === here.host
      && (olderHeader || (place.bootId === here.bootId && place.pidNamespace === here.pidNamespace))) {
    // The PID in the name the log name pattern matched: after its last `_`, before `-<n>` or `.log`.
    return isSessionAlive(parseInt(filePath.slice(filePath.lastIndexOf('_') + 1), 10), stats);
  }
  return Date.now() - stats.mtimeMs < IDLE_ENDED_MS;
}

let place: SessionPlace | undefined;

/** Where this process runs (§12), read once: the host (the kernel's name, else `HOSTNAME` or `COMPUTERNAME`), and on Linux the
 * boot ID and PID namespace. Each is missing where it cannot be read (not Linux, no /proc, Deno without --allow-read). */
function thisPlace(): SessionPlace {
  place ??= placeOf({
    host: attempt(() => fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim())
      || process.env['HOSTNAME'] || process.env['COMPUTERNAME'],
    bootId: attempt(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim()),
    pidNamespace: attempt(() => fs.readlinkSync('/proc/self/ns/pid').trim()),
  });
  return place;
}

/** The place `fields` (this process's, or a header's) name: those of its fields that are non-empty strings. */
function placeOf(fields: Record<string, unknown>): SessionPlace {
  const result: SessionPlace = {};
  for (const key of ['host', 'bootId', 'pidNamespace'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && value !== '') result[key] = value;
  }
  return result;
}

// The header's fields are looked for in this much of a log's start, and the end record (one short line) in this much of its end.
const HEAD_BYTES = 64 * 1024, TAIL_BYTES = 4 * 1024;
// A record's timestamp, `YYYY-MM-DD HH:MM:SS,mmm`, is this long.
const TIMESTAMP_LENGTH = 23;
/** The messages of a session's first and last records (§9). */
export const HEADER_MESSAGE = 'Session started', END_MESSAGE = 'Session ended';

/** The place a log's header names and whether it ends in the end record; `gone` with no file there; undefined if unreadable or replaced. */
function readLogEnds(filePath: string, stats: LogFileStats): { place: SessionPlace | undefined; ended: boolean } | 'gone' | undefined {
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  let fd: number;
  try {
    fd = fs.openSync(filePath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? 'gone' : undefined;
  }
  try {
    const now = fs.fstatSync(fd);
    if (!now.isFile() || now.dev !== stats.dev || now.ino !== stats.ino) return undefined;
    const read = (at: number, length: number): string => {
      const bytes = new Uint8Array(length);
      return new TextDecoder().decode(bytes.subarray(0, fs.readSync(fd, bytes, 0, length, at)));
    };
    const head = read(0, Math.min(now.size, HEAD_BYTES));
    const tail = now.size <= HEAD_BYTES ? head : read(now.size - TAIL_BYTES, TAIL_BYTES);
    const firstLine = head.indexOf('\n');
    // The last line counts only when whole: a torn one is no end record.
    const lastLine = tail.endsWith('\n') ? tail.slice(tail.lastIndexOf('\n', tail.length - 2) + 1, -1) : '';
    const header = firstLine < 0 ? undefined : sessionRecordFields(head.slice(0, firstLine), HEADER_MESSAGE);
    return { place: header && placeOf(header), ended: sessionRecordFields(lastLine, END_MESSAGE) !== undefined };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

// A text record's ` key=value` field: the key and the value each bare or a JSON string, as quoteIfNeeded writes them.
const TEXT_FIELD = / ("(?:[^"\\]|\\.)*"|[^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"]*)/y;
/** The fields of a record (text or JSON) of the root logger, at INFO in text, whose message is `message`; undefined for any other
 * line. Quoted text values are unquoted where they parse as JSON; only the place's fields, plain words, are read. */
function sessionRecordFields(line: string, message: string): Record<string, unknown> | undefined {
  if (line.startsWith('{')) {
    // Starting with `{`, it parses as an object or not at all.
    const record = attempt(() => JSON.parse(line) as Record<string, unknown>);
    return record?.['name'] === DEFAULTS.prefix && record['msg'] === message ? record : undefined;
  }
  const lead = TEXT_SEPARATOR + DEFAULTS.prefix + TEXT_SEPARATOR + 'INFO' + TEXT_SEPARATOR + message;
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/.test(line.slice(0, TIMESTAMP_LENGTH)) || !line.startsWith(lead, TIMESTAMP_LENGTH)) return undefined;
  const fields: Record<string, unknown> = {};
  for (TEXT_FIELD.lastIndex = TIMESTAMP_LENGTH + lead.length; TEXT_FIELD.lastIndex < line.length;) {
    const [, key = '', value = ''] = TEXT_FIELD.exec(line) ?? [];
    if (key === '') return undefined;
    const unquote = (text: string): unknown => (text.startsWith('"') ? attempt(() => String(JSON.parse(text))) ?? text : text);
    fields[String(unquote(key))] = unquote(value);
  }
  return fields;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Only ESRCH says it is gone (EPERM: another user's). Deno's NotCapable proves nothing: taking it for gone deleted live logs.
    return errorCode(error) !== 'ESRCH';
  }
}

// /proc/PID/stat counts ticks of USER_HZ, 100 on every mainstream architecture (Node cannot call sysconf); /proc/stat's boot time
// is in whole seconds, so a start time is up to a second off.
const CLOCK_TICKS_PER_SECOND = 100, START_SLACK_MS = 1000;
let bootTimeMs: number | undefined;
/** When process `pid` (or `self`) started, in epoch ms: /proc/stat `btime` plus field 22 of /proc/PID/stat. Undefined where that
 * cannot be read (not Linux, hidepid, another namespace's /proc, the process ended): then the PID's existence decides. */
function processStartMs(pid: number | 'self'): number | undefined {
  if (process.platform !== 'linux' || (pid !== 'self' && !procShowsOurPids())) return undefined;
  bootTimeMs ??= attempt(() => Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'))?.[1] ?? NaN) * 1000);
  const stat = attempt(() => fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  if (bootTimeMs === undefined || !Number.isFinite(bootTimeMs) || stat === undefined) return undefined;
  // Field 2, the command name, is in parentheses and may hold spaces and parentheses: after the last ")" field 3 comes first.
  const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  return Number.isFinite(ticks) ? bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
}

let procIsOurs: boolean | undefined;
/** Whether /proc shows our PID namespace's processes: in a container that mounts the host's /proc, PIDs would be others'. */
function procShowsOurPids(): boolean {
  procIsOurs ??= attempt(() => Number(fs.readlinkSync('/proc/self')) === process.pid) ?? false;
  return procIsOurs;
}

/** Whether process `pid` has `file` open, from /proc/PID/fd (Linux); false where that cannot be read (another user's, unless root). */
function holdsOpen(pid: number, file: LogFileStats): boolean {
  if (!procShowsOurPids()) return false;
  // stat follows an fd's magic link to the open file itself; one closed since the listing, or not ours to see, is skipped.
  return (attempt(() => fs.readdirSync(`/proc/${pid}/fd`)) ?? []).some((fd) => {
    const target = attempt(() => fs.statSync(`/proc/${pid}/fd/${fd}`, LSTAT_OPTIONS));
    return target !== undefined && target.ino === file.ino && target.dev === file.dev;
  });
}

const LSTAT_OPTIONS = { throwIfNoEntry: false } as const;

/** A log the age rule kept, which the disk budget may still delete if its session has ended. */
interface KeptLog { file: string; time: number; size: number; stats: LogFileStats }

/** Deletes the logs of ended sessions older than `retentionDays` (default 7) in `dir`; then, given `maxTotalBytes` or `minFreeBytes`,
 * the oldest ended sessions' logs while the logs add up to more, or the file system has less free (§6). Synchronous; never throws
 * for one file: ENOENT is another session's prune, other errors are reported. A missing directory gives an empty report. */
export function pruneOldLogs(dir: string, options: PruneOptions = {}): PruneReport {
  const retentionDays = checkRetentionDays(options.retentionDays ?? DEFAULTS.retentionDays, '"retentionDays"');
  const pattern = logNamePattern(options.prefix ?? DEFAULTS.prefix);
  const now = options.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`"now" must be a time in epoch milliseconds: received ${describe(now)}`);
  const maxTotalBytes = checkSize(options.maxTotalBytes ?? Infinity, '"maxTotalBytes"');
  const minFreeBytes = checkSize(options.minFreeBytes ?? 0, '"minFreeBytes"');
  const dryRun = options.dryRun === true;
  const report: PruneReport = { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 };
  const reportError = (file: string, error: unknown) => {
    report.errors.push({ file, code: errorCode(error), message: errorMessage(error) });
  };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') reportError(dir, error);
    return report;
  }
  /** Deletes one log; true when it is gone, by our hand (reported) or by another process's first. */
  const remove = (file: string, size: number): boolean => {
    try {
      if (!dryRun) fs.unlinkSync(file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') reportError(file, error);
      return errorCode(error) === 'ENOENT';
    }
    report.deleted.push(file);
    report.deletedBytes += size;
    return true;
  };
  const dirPrefix = joinPath(dir, '');
  let undeletableBytes = 0;
  forEachLog(dirPrefix, names, pattern, reportError, (file, stats) => {
    // Old when strictly older than the retention (a future time never is); one that could not be deleted still takes its room.
    if (now > pruneDueTime(logFileTime(stats), retentionDays) && !isSessionRunning(file, stats)) {
      if (!remove(file, stats.size)) {
        report.totalBytes += stats.size;
        undeletableBytes += stats.size;
      }
      return;
    }
    report.kept++;
    report.totalBytes += stats.size;
  });
  // Listed again, when over budget, rather than kept from the scan (which would cost every startup two objects a log): the logs
  // as they are now (other processes may be pruning too), less those the scan could not handle, which stay in the total.
  const listKept = () => {
    const skipped = new Set(report.errors.map((error) => error.file));
    const logs: KeptLog[] = [];
    forEachLog(dirPrefix, names, pattern, () => {}, (file, stats) => {
      if (!skipped.has(file)) logs.push({ file, time: logFileTime(stats), size: stats.size, stats });
    });
    report.kept = logs.length;
    report.totalBytes = undeletableBytes + logs.reduce((sum, log) => sum + log.size, 0);
    return logs;
  };
  if (maxTotalBytes !== Infinity || minFreeBytes > 0) applyDiskBudget(dir, listKept, { maxTotalBytes, minFreeBytes }, report, remove, dryRun);
  return report;
}

/** Calls `visit` with each regular file among `names` that is a session log, as lstat sees it now (a symlink is judged, and left,
 * as a link, never followed); `onError` with one lstat failed on. */
function forEachLog(dirPrefix: string, names: string[], pattern: RegExp, onError: (file: string, error: unknown) => void,
  visit: (file: string, stats: fs.Stats) => void): void {
  for (const name of names) {
    // test, not exec: the PID is read from the name only for an old log.
    if (!pattern.test(name)) continue;
    const file = dirPrefix + name;
    let stats: fs.Stats | undefined;
    try {
      stats = fs.lstatSync(file, LSTAT_OPTIONS);
    } catch (error) {
      onError(file, error);
      continue;
    }
    if (stats !== undefined && stats.isFile()) visit(file, stats);
  }
}

/** Rule 6, the disk budget (§6): deletes the oldest ended sessions' logs while the logs exceed `maxTotalBytes` or free space is
 * under `minFreeBytes`. One another process deleted first counts as gone: processes starting together delete no more than one. */
function applyDiskBudget(dir: string, listLogs: () => KeptLog[], budget: { maxTotalBytes: number; minFreeBytes: number },
  report: PruneReport, remove: (file: string, size: number) => boolean, dryRun: boolean): void {
  // Where free space cannot be measured, the free-space rule holds.
  let free = budget.minFreeBytes > 0 ? fileSystemSpace(dir)?.free ?? Infinity : Infinity;
  const overBudget = () => report.totalBytes > budget.maxTotalBytes || free < budget.minFreeBytes;
  if (!overBudget()) return;
  const logs = listLogs().sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : 1));
  for (const log of logs) {
    if (!overBudget()) return;
    if (isSessionRunning(log.file, log.stats) || !remove(log.file, log.size)) continue;
    report.kept--;
    report.totalBytes -= log.size;
    // Measured again rather than added up: other processes may be deleting too.
    if (free < budget.minFreeBytes) free = dryRun ? free + log.size : fileSystemSpace(dir)?.free ?? Infinity;
  }
}

// ==== Opening the session's file ====

/** Creates the log directory (0700 when new) and checks no other user can plant, replace or delete files in it (§7): what it really
 * is must be ours or root's, not writable by others; else a `LoggingSetupError` naming the fix. A group-writable one gets a warning. */
function prepareLogDirectory(dir: string): { dir: string; warning?: string } {
  const absoluteDir = absolutePath(dir);
  let doing = 'create';
  let stats: fs.Stats;
  try {
    fs.mkdirSync(absoluteDir, { recursive: true, mode: 0o700 });
    // Windows has no such mode bits, and its ACLs are not checked.
    if (IS_WINDOWS) return { dir: absoluteDir };
    doing = 'use';
    // stat follows every symlink to the real directory; realpath only names it in a message.
    stats = fs.statSync(absoluteDir);
  } catch (error) {
    throw new LoggingSetupError(`Cannot ${doing} log directory ${absoluteDir}: ${errorMessage(error)}`, absoluteDir, error);
  }
  // Without an effective user ID (Windows; Deno without --allow-sys throws NotCapable) the owner goes unchecked.
  const foreign = stats.uid !== (attempt(() => process.geteuid?.()) ?? stats.uid) && stats.uid !== 0;
  const mode = stats.mode & 0o7777;
  if (stats.isDirectory() && !foreign && (mode & 0o022) === 0) return { dir: absoluteDir };
  const realDir = attempt(() => fs.realpathSync(absoluteDir)) ?? absoluteDir;
  const named = realDir === absoluteDir ? absoluteDir : `${absoluteDir} (${realDir})`;
  const modeText = mode.toString(8).padStart(4, '0');
  if (!stats.isDirectory()) throw new LoggingSetupError(`Cannot use log directory ${named}: it is not a directory`, absoluteDir);
  const unsafe = foreign
    ? `it belongs to another user (uid ${stats.uid}), who could read or replace the logs; set ${ENV_VARIABLES.dir} to a directory of your own`
    : (mode & 0o002) !== 0
      ? `other users can write to it (mode ${modeText}) and plant files at a session's name; run \`chmod o-w ${realDir}\` or set ${ENV_VARIABLES.dir} to another directory`
      : undefined;
  if (unsafe !== undefined) throw new LoggingSetupError(`Unsafe log directory ${named}: ${unsafe}`, absoluteDir);
  return { dir: absoluteDir, warning: `Log directory ${named} is writable by its group (mode ${modeText}): its members can plant or delete logs; run \`chmod g-w ${realDir}\` to prevent it` };
}

// Names a session tries (`_<pid>.log`, `-2` … `-1000`): more taken than that is no reused PID but something planted.
const MAX_NAME_SEQUENCE = 1000;
/** Creates this session's file in `dir` with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600: nothing already at a name (a reused PID's log,
 * a same-PID session in another container, a planted file, link or FIFO) is ever opened, written, truncated or re-moded. When the
 * plain name is taken, the first free `-<n>` name (§2, §12); `LoggingSetupError` when none is. */
function createLogFile(dir: string, date: Date, pid: number, prefix: string): { fd: number; filePath: string; identity: FileIdentity } {
  const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  // O_NONBLOCK: opening never blocks (O_EXCL already refuses a FIFO at the name).
  const flags = O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;
  for (let sequence = 1; sequence <= MAX_NAME_SEQUENCE; sequence++) {
    const filePath = joinPath(dir, logFileName(date, pid, prefix, sequence));
    let fd: number;
    try {
      fd = fs.openSync(filePath, flags, 0o600);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') continue;
      const why = errorCode(error) === 'ELOOP' ? 'it is a symbolic link, which is never followed' : errorMessage(error);
      throw new LoggingSetupError(`Cannot open log file ${filePath}: ${why}`, filePath, error);
    }
    const { dev, ino } = fs.fstatSync(fd);
    return { fd, filePath, identity: { dev, ino } };
  }
  const last = joinPath(dir, logFileName(date, pid, prefix, MAX_NAME_SEQUENCE));
  throw new LoggingSetupError(`Cannot create a log file: ${joinPath(dir, logFileName(date, pid, prefix))} up to ${last} are all taken; remove what is there or set ${ENV_VARIABLES.dir} to another directory`, last);
}

// ==== The writer ====

// A tick's records are written together at its end, or each time this many characters wait: a tight loop's memory is bounded.
const CHUNK_CHARS = 64 * 1024;
// Past maxSessionBytes, ERROR, CRITICAL and the session's own records land until the file is this much bigger; then none does.
const SIZE_LIMIT_MARGIN = MIB;

/** Appends records to the session's file through an `fs.WriteStream` over the opener's descriptor (§4). Its `fs` option gives it
 * `writeChunk` (`fs.writeSync`, then the callback), not a thread-pool `fs.write` that an ERROR record, an `exit` hook or a
 * signal's flush could not wait for and would overtake: nothing is ever in flight, at one write call per tick or 64 KiB on this
 * thread. A stream takes writes from the tick after it is made; until then chunks go to `writeChunk` directly. */
class LogWriter {
  readonly filePath: string;
  dropped = 0;
  /** Called once, when the file reaches the soft limit. */
  onSizeLimit: () => void = () => {};
  private limitReached = false;
  private readonly fd: number;
  private readonly stream: fs.WriteStream;
  private readonly json: boolean;
  private pending = ''; private pendingRecords = 0;
  // The records of the chunk being written: lost with it if it fails.
  private writingRecords = 0;
  private scheduled = false; private streamReady = false; private failed = false; private closed = false;
  // The file's size once everything handed on has landed (a session's file is new, §12), and the size limit (§6).
  private size = 0;
  private readonly softLimit: number;

  constructor(fd: number, filePath: string, format: LogFormat, maxBytes: number) {
    this.fd = fd;
    this.filePath = filePath;
    this.json = format === 'json';
    this.softLimit = maxBytes;
    this.stream = fs.createWriteStream(filePath, { fd, autoClose: false, fs: { open: fs.open, close: fs.close, write: this.writeChunk } });
    // writeChunk reports a failure, once; the stream's own report of it is not needed.
    this.stream.on('error', () => {});
    this.stream.write(Buffer.alloc(0), () => (this.streamReady = true));
  }

  /** Queues `records` (`count` of them, each ending in a newline); `sync` writes them, and all before, before returning. */
  write(records: string, count: number, sync: boolean): void {
    if (this.failed || this.closed) {
      this.dropped += count;
      return;
    }
    this.pending += records;
    this.pendingRecords += count;
    if (sync || this.pending.length >= CHUNK_CHARS) this.flushSync();
    else if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => {
        this.scheduled = false;
        this.flushSync();
      });
    }
  }

  /** Writes everything queued, in order, before returning; escapes control characters (§2) and applies the size limit (§6) per chunk. */
  flushSync(): void {
    if (this.pending === '' || this.failed || this.closed) return;
    const bytes = Buffer.from(escapeControls(this.pending, this.json), 'utf8');
    const records = this.pendingRecords;
    this.pending = '';
    this.pendingRecords = 0;
    // A chunk that would take the file past the hard limit is dropped whole, and the limit counts as reached.
    const fits = this.size + bytes.length <= this.softLimit + SIZE_LIMIT_MARGIN;
    if (!fits) this.dropped += records;
    else {
      this.size += bytes.length;
      this.writingRecords = records;
      if (this.streamReady) this.stream.write(bytes);
      else this.writeChunk(this.fd, bytes, 0, bytes.length, null, () => {});
    }
    if (!this.limitReached && (!fits || this.size >= this.softLimit)) {
      this.limitReached = true;
      this.onSizeLimit();
    }
  }

  /** The stream's `fs.write`: the whole chunk with `fs.writeSync`, then its callback (see the class comment). */
  private readonly writeChunk = (fd: number, bytes: Uint8Array, offset: number, length: number, _position: unknown,
    callback: (error: Error | null, written?: number, buffer?: Uint8Array) => void): void => {
    let written = 0;
    try {
      // A write to a file can be short (a signal, a nearly full disk): write the rest.
      while (written < length) written += fs.writeSync(fd, bytes, offset + written, length - written);
    } catch (error) {
      this.fail(error, bytes.subarray(offset, offset + length), written);
      return callback(error as Error);
    }
    callback(null, written, bytes);
  };

  /** The first failure (disk full, EBADF) is reported once on stderr; later records are dropped and counted. A chunk that landed
   * in part is cut back to its last whole record, so none is left torn. */
  private fail(error: unknown, chunk: Uint8Array, written: number): void {
    if (this.failed) return;
    this.failed = true;
    // A record ends at a newline followed by anything but the indentation of a continuation line.
    let cut = 0, landed = 0;
    for (let i = chunk.indexOf(0x0a); i >= 0 && i < written; i = chunk.indexOf(0x0a, i + 1)) {
      if (i + 1 === chunk.length || chunk[i + 1] !== 0x20) [cut, landed] = [i + 1, landed + 1];
    }
    // A file that cannot be trimmed keeps its torn tail, counted as lost.
    if (cut < written) attempt(() => fs.ftruncateSync(this.fd, fs.fstatSync(this.fd).size - written + cut));
    this.dropped += this.writingRecords - Math.min(landed, this.writingRecords) + this.pendingRecords;
    this.pending = '';
    this.pendingRecords = 0;
    // With stderr gone too, nothing is left to tell.
    attempt(() => fs.writeSync(2, `automake logging: cannot write to ${this.filePath}: ${errorMessage(error)}; later records are dropped\n`));
  }

  /** Writes what is queued, waits for the stream's callbacks, then closes the file. Never rejects. */
  async close(): Promise<void> {
    this.flushSync();
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.closed) return;
    this.closed = true;
    // One closed by someone else already has nothing to release.
    attempt(() => fs.closeSync(this.fd));
  }
}

// ==== Loggers, and records held before initLogging ====

interface HeldRecord { time: number; level: number; logger: LoggerImpl; message: unknown; extra: LogExtra | undefined }
// Records logged before initLogging wait here, up to this many; more are counted and reported when the file opens.
const HELD_LIMIT = 1000;
const held: HeldRecord[] = [];
let heldOverflow = 0;
let active: Session | null = null;
const loggers = new Map<string, LoggerImpl>();
// A name becomes one token of a text record: no spaces or control characters.
const LOGGER_NAME = /^[^\s\x00-\x1f\x7f-\x9f]+$/;

class LoggerImpl implements Logger {
  readonly name: string;
  readonly prefixes: RecordPrefixes;
  /** Whether a private key printed line by line is going on in this logger's records (§8). */
  readonly redactState: RedactState = { inPrivateKey: false };
  /** The end of the last record, when it was logged `continued: true`: context for redacting the next (§8). */
  continuedFrom = '';

  constructor(name: string) {
    this.name = name;
    this.prefixes = buildPrefixes(name);
  }

  debug(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.DEBUG, message, extra); }
  info(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.INFO, message, extra); }
  warning(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.WARNING, message, extra); }
  warn(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.WARNING, message, extra); }
  error(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.ERROR, message, extra); }
  critical(message: string, extra?: LogExtra): void { this.emit(LEVEL_VALUES.CRITICAL, message, extra); }
  log(level: LevelName, message: string, extra?: LogExtra): void { this.emit(levelValue(level), message, extra); }

  lines(level: LevelName, text: string | Uint8Array): void {
    const value = levelValue(level);
    let lines = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
    if (lines.endsWith('\n')) lines = lines.slice(0, -1);
    if (active === null) for (const line of lines.split('\n')) this.emit(value, line, undefined);
    else if (active.admits(value, lines.split('\n').length)) active.recordLines(Date.now(), value, this, lines);
  }

  isEnabledFor(level: LevelName): boolean { return active === null || LEVEL_VALUES[level] >= active.threshold; }
  child(name: string): Logger { return getLogger(`${this.name}.${name}`); }

  private emit(level: number, message: unknown, extra: LogExtra | undefined): void {
    if (active !== null) {
      if (active.admits(level)) active.record(Date.now(), level, this, message, extra);
    } else if (held.length < HELD_LIMIT) {
      // A shallow copy: the caller may reuse its object before the file opens.
      held.push({ time: Date.now(), level, logger: this, message, extra: extra === undefined || extra instanceof Error ? extra : { ...extra } });
      if (held.length === 1) process.on('exit', writeHeldToStderr);
    } else heldOverflow++;
  }
}

/** The last resort, as in Python's logging: when the process ends with records still held (initLogging never ran, or failed),
 * WARNING and above go to stderr rather than vanish, redacted and escaped as in a file. */
function writeHeldToStderr(): void {
  process.off('exit', writeHeldToStderr);
  if (active !== null) return;
  let text = '';
  for (const { time, level, logger, message, extra } of held.splice(0)) {
    if (level >= LEVEL_VALUES.WARNING) text += formatTextRecord(time, level, logger.prefixes, cleanMessage(logger, messageText(message), false), extra) + '\n';
  }
  // With stderr gone too, nothing is left to tell.
  if (text !== '') attempt(() => fs.writeSync(2, escapeControls(text, false)));
}

/** Logs a record past the session's size limit (§6), as the session's own records are: a summary a reader looks for, such as
 * how `exec`'s command ended. The level setting and the hard limit still apply. */
export function logPastSizeLimit(logger: Logger, level: LevelName, message: string, extra?: LogExtra): void {
  const session = active;
  if (session === null || session.threshold === Infinity || !(logger instanceof LoggerImpl)) return logger.log(level, message, extra);
  if (levelValue(level) >= session.levelThreshold) session.record(Date.now(), levelValue(level), logger, message, extra);
}

/** The logger named `name` (default `automake`); the same object for the same name. Safe before `initLogging`: records are held
 * (up to 1,000) and written first once the file opens. */
export function getLogger(name: string = DEFAULTS.prefix): Logger {
  let logger = loggers.get(name);
  if (logger === undefined) {
    if (typeof name !== 'string' || !LOGGER_NAME.test(name)) {
      throw new TypeError(`Logger name must be a non-empty string without spaces or control characters: received ${describe(name)}`);
    }
    logger = new LoggerImpl(name);
    loggers.set(name, logger);
  }
  return logger;
}

// ==== Exit handling ====

/** The signals that ask a process to end (Ctrl-C, `kill`, a closed terminal, Ctrl-\): records and the end record are written first. */
export const EXIT_SIGNALS: readonly ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] = Object.freeze(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const);

/** Hooks that get every accepted record, then the end record, into the file however the process ends: `exit` (normal end,
 * `process.exit`, and after an uncaught exception or unhandled rejection, which are logged at CRITICAL), and the exit signals. */
function attachToProcess(session: Session): () => void {
  // Node passes the code the process exits with, whatever set it.
  const onExit = (code: number) => {
    session.enterExitMode();
    session.writeEnd({ exitCode: code });
  };
  // Unlike an 'uncaughtException' listener, the monitor changes nothing of what Node does next.
  const onUncaught = (error: unknown, origin: string) => {
    const what = origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception';
    session.logger.critical(`${what}: ${error instanceof Error ? error.message : stringifyValue(error)}`, error instanceof Error ? error : undefined);
    session.flushSync();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    session.writeOwn(LEVEL_VALUES.WARNING, `Received ${signal}`, undefined, true);
    session.flushSync();
    // With a handler of the application's own, the decision is its to make, and the end record is written when the process exits.
    if (process.listenerCount(signal) > 1) return;
    session.enterExitMode();
    session.writeEnd({ signal });
    detach();
    // No handler left: Node restores the default action, and the process dies of the signal as it would have without us.
    process.kill(process.pid, signal);
  };
  process.on('exit', onExit);
  process.on('uncaughtExceptionMonitor', onUncaught);
  if (!IS_WINDOWS) for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  const detach = () => {
    process.off('exit', onExit);
    process.off('uncaughtExceptionMonitor', onUncaught);
    for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
  };
  return detach;
}

// ==== The session ====

class Session implements LogSession {
  readonly filePath: string;
  readonly logger: LoggerImpl = getLogger(DEFAULTS.prefix) as LoggerImpl;
  readonly pruned: PruneReport;
  readonly settings: LogSettings;
  readonly warnings: readonly string[];
  /** Records below this are not written: the level setting's threshold, or ERROR once the file reached its size limit. */
  threshold: number;
  readonly levelThreshold: number;
  private readonly writer: LogWriter;
  private readonly format: RecordFormatter;
  private readonly startedMs = Date.now();
  private exiting = false; private ended = false; private highest = 0;
  private readonly detach: () => void;
  readonly identity: FileIdentity;
  /** Stops the timer that touches the file every HEARTBEAT_MS (§12). */
  private readonly stopHeartbeat: () => void;

  constructor(writer: LogWriter, resolved: ResolvedSettings, pruned: PruneReport, identity: FileIdentity, fd: number) {
    this.writer = writer;
    this.identity = identity;
    this.filePath = writer.filePath;
    ({ settings: this.settings, warnings: this.warnings } = resolved);
    this.pruned = pruned;
    this.threshold = this.levelThreshold = LEVEL_VALUES[this.settings.level.value];
    this.format = this.settings.format.value === 'json' ? formatJsonRecord : formatTextRecord;
    writer.onSizeLimit = () => this.reachSizeLimit();
    this.detach = attachToProcess(this);
    this.stopHeartbeat = startHeartbeat(fd, identity);
  }

  /** The size limit (§6): from now on records below ERROR are dropped and counted, and one WARNING says so. */
  private reachSizeLimit(): void {
    this.threshold = Math.max(this.threshold, LEVEL_VALUES.ERROR);
    const max = this.settings.maxSessionBytes.value;
    const message = `This session's log reached its size limit of ${sizeText(max)}: records below ERROR are dropped from here on `
      + `and counted; ERROR and CRITICAL records still land until the file reaches ${sizeText(max + SIZE_LIMIT_MARGIN)}`;
    this.writeOwn(LEVEL_VALUES.WARNING, message, { maxSessionBytes: max });
  }

  /** Whether `count` records at `level` are written; those only the size limit or the end keeps out are counted as dropped. */
  admits(level: number, count = 1): boolean {
    if (level >= this.levelThreshold && level < this.threshold) this.writer.dropped += count;
    return level >= this.threshold;
  }

  get dropped(): number { return this.writer.dropped; }
  get highestLevel(): LevelName | undefined { return LEVEL_NAMES[this.highest]; }

  /** A logger's record; loggers apply the threshold. The session's own (header, end, notices; not in `highestLevel`) go through
   * writeOwn, past the soft size limit (the writer's hard one applies), a notice only at the level in force. */
  record(time: number, level: number, logger: LoggerImpl, message: unknown, extra: LogExtra | undefined): void {
    if (level > this.highest) this.highest = level;
    this.writeRecord(time, level, logger, message, extra);
  }

  writeOwn(level: number, message: string, extra: LogExtra | undefined, notice = false): void {
    if (!notice || level >= this.threshold) this.writeRecord(Date.now(), level, this.logger, message, extra);
  }

  /** The session's last record, once, at any level: how it ended (docs/design.md §9). */
  writeEnd(how: { exitCode: number } | { signal: NodeJS.Signals }): void {
    if (this.ended) return;
    this.ended = true;
    const dropped = this.writer.dropped;
    this.writeOwn(LEVEL_VALUES.INFO, END_MESSAGE, { ...how, durationMs: Date.now() - this.startedMs, ...(dropped > 0 ? { dropped } : {}) });
    // Nothing follows the end record: Deno runs its event loop on for a moment after a signal is raised again; those are dropped.
    this.threshold = Infinity;
  }

  /** Formats, redacts and bounds one record for the writer: ERROR and above, and all at exit, synchronously. */
  private writeRecord(time: number, level: number, logger: LoggerImpl, message: unknown, extra: LogExtra | undefined): void {
    const continued = extra !== undefined && !(extra instanceof Error) && extra['continued'] === true;
    let record: string;
    try {
      record = this.format(time, level, logger.prefixes, cleanMessage(logger, messageText(message), continued), extra);
    } catch (error) {
      // An extra field whose getter throws must neither take the program down nor cost the message.
      const note = { logging_error: `extra fields could not be formatted: ${errorMessage(error)}` };
      try {
        record = this.format(time, level, logger.prefixes, cleanText(messageText(message)), note);
      } catch {
        record = this.format(time, level, logger.prefixes, '[record could not be formatted]', note);
      }
    }
    this.writer.write(this.bound(record) + '\n', 1, level >= LEVEL_VALUES.ERROR || this.exiting);
    // Checked before splicing: every record passes here, and splice(0) makes an array each time.
    if (slowPatterns.length > 0) {
      for (const pattern of slowPatterns.splice(0)) {
        this.writeOwn(LEVEL_VALUES.WARNING, `Redaction pattern ${String(pattern)} took more than ${USER_PATTERN_BUDGET_MS} ms in all and is no longer applied`, undefined);
      }
    }
  }

  /** Each line of `lines` as a record, all at `time`: redacted as one text, so that a private key's lines are found together. */
  recordLines(time: number, level: number, logger: LoggerImpl, lines: string): void {
    if (level > this.highest) this.highest = level;
    const each = cleanMessage(logger, lines, false).split('\n');
    let records = '';
    for (const line of each) records += this.bound(this.format(time, level, logger.prefixes, line, undefined)) + '\n';
    this.writer.write(records, each.length, level >= LEVEL_VALUES.ERROR || this.exiting);
  }

  /** A record within maxRecordBytes (§6); only one that could pass it at 6 bytes a character (`\u009b`) is escaped and measured. */
  private bound(record: string): string {
    const max = this.settings.maxRecordBytes.value;
    if (record.length * 6 <= max) return record;
    const json = this.format === formatJsonRecord;
    return boundRecord(escapeControls(record, json), max, json);
  }

  enterExitMode(): void {
    this.exiting = true;
    this.writer.flushSync();
  }

  flushSync(): void { this.writer.flushSync(); }

  async close(exitCode?: number): Promise<void> {
    if (active === this) {
      // By default the code the process would exit with now: `process.exitCode` when set, else 0.
      const code = Number(process.exitCode ?? 0);
      this.writeEnd({ exitCode: exitCode ?? (Number.isInteger(code) ? code : 0) });
      // Records logged from now on are held for a later session.
      active = null;
    }
    this.stopHeartbeat();
    // The exit hooks stay until the last record is written: the process may exit while the file is closed.
    await this.writer.close();
    this.detach();
  }
}

/** The header's fields (§9): who the process is, what it runs and where, then the application's own, which cannot replace ours.
 * In JSON the record's own `pid` says it already; `cwd` is left out when it was deleted under us. */
function headerFields(settings: LogSettings, extra: Record<string, unknown>): Record<string, unknown> {
  const cwd = attempt(() => process.cwd());
  const started = processStartMs('self') ?? Date.now() - process.uptime() * 1000;
  const fields: Record<string, unknown> = {
    ...(settings.format.value === 'text' ? { pid: process.pid } : {}),
    ppid: process.ppid, argv: shellQuote(process.argv), ...(cwd === undefined ? {} : { cwd }),
    node: process.version, platform: process.platform, ...thisPlace(),
    processStart: new Date(Math.round(started)).toISOString(),
  };
  for (const key of Object.keys(extra)) if (!Object.hasOwn(fields, key) && key !== 'pid') fields[key] = extra[key];
  return fields;
}

/** Touches the file every HEARTBEAT_MS from a timer that never keeps the process alive, so that its mtime says the session runs
 * (§12); never once `fd` is no longer the file (closed after a write failure, its number reused). Returns what stops it. */
function startHeartbeat(fd: number, identity: FileIdentity): () => void {
  const timer: ReturnType<typeof setInterval> = setInterval(() => {
    try {
      const stats = fs.fstatSync(fd);
      if (stats.dev !== identity.dev || stats.ino !== identity.ino) return clearInterval(timer);
      const now = new Date();
      fs.futimesSync(fd, now, now);
    } catch {
      clearInterval(timer);
    }
  }, HEARTBEAT_MS);
  // Node and Bun give the timer an unref(); Deno a number, for Deno.unrefTimer.
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
  else (globalThis as { Deno?: { unrefTimer?(id: unknown): void } }).Deno?.unrefTimer?.(timer);
  return () => clearInterval(timer);
}

// A word a POSIX shell reads as itself, unquoted.
const SHELL_WORD = /^[\w\/.,:=@%+-]+$/;
/** A command line as a POSIX shell would need it typed: words quoted only when they must be. */
export function shellQuote(words: readonly string[]): string {
  return words.map((word) => (SHELL_WORD.test(word) ? word : "'" + word.split("'").join("'\\''") + "'")).join(' ');
}

/** Prunes old logs, then opens this process's log file and routes every logger to it. Synchronous. Call it first. Throws
 * `TypeError` for a bad option and `LoggingSetupError` when the directory or file cannot be used. */
export function initLogging(options: LoggingOptions = {}): LogSession {
  if (active !== null) throw new LoggingSetupError(`Logging is already initialized to ${active.filePath}: close() that session first`, active.filePath);
  const resolved = resolveSettings(options);
  const { settings, warnings } = resolved;
  // Checked before pruning: an unsafe directory is neither pruned nor written.
  const { dir, warning: dirWarning } = prepareLogDirectory(settings.dir.value);
  const pruned = pruneOldLogs(dir, { retentionDays: settings.retentionDays.value, prefix: settings.prefix.value,
    maxTotalBytes: settings.maxTotalBytes.value, minFreeBytes: settings.minFreeBytes.value });
  const { fd, filePath, identity } = createLogFile(dir, new Date(), process.pid, settings.prefix.value);
  const userRules = typeof options.redact === 'object' ? options.redact : {};
  rules = settings.redact.value ? makeRedactor(userRules.keys, userRules.patterns) : null;
  const writer = new LogWriter(fd, filePath, settings.format.value, settings.maxSessionBytes.value);
  const session = new Session(writer, resolved, pruned, identity, fd);
  active = session;
  session.writeOwn(LEVEL_VALUES.INFO, HEADER_MESSAGE, headerFields(settings, options.header ?? {}));
  const root = session.logger;
  if (dirWarning !== undefined) root.warning(dirWarning);
  for (const warning of warnings) root.warning(warning);
  if (heldOverflow > 0) root.warning(`${heldOverflow} records logged before initLogging were dropped (the limit is ${HELD_LIMIT})`);
  process.off('exit', writeHeldToStderr);
  for (const record of held.splice(0)) {
    if (session.admits(record.level)) session.record(record.time, record.level, record.logger, record.message, record.extra);
  }
  heldOverflow = 0;
  for (const error of pruned.errors) root.warning(`Could not prune ${error.file}`, { code: error.code, error: error.message });
  if (pruned.deleted.length > 0) root.debug(`Pruned ${pruned.deleted.length} old log files`, { dir });
  return session;
}
