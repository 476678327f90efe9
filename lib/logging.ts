/**
 * Session logging for automake: one log file per process, old logs pruned at
 * startup, and no record lost, torn or reordered however the process ends.
 *
 * This file is the vendorable core: it imports only `node:fs`, so it can be
 * copied alone into another project. See docs/design.md for the contract.
 *
 * @example
 * // With initLogging and getLogger imported from this file:
 * const session = initLogging();           // prune, then open automake_YYYY-MM-DD_PID.log
 * getLogger('automake.agent').info('started', { task: 'build' });
 */
import * as fs from 'node:fs';

// ---------------------------------------------------------------------------
// Types and options
// ---------------------------------------------------------------------------

/** Level names, as in Python's `logging`: DEBUG < INFO < WARNING < ERROR < CRITICAL. */
export type LevelName = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

/** `text`: Python's line format. `json`: one pino-compatible object per line. */
export type LogFormat = 'text' | 'json';

/** Structured fields appended to a record, or an `Error` whose stack is logged. */
export type LogExtra = Record<string, unknown> | Error;

/** Options of `initLogging`. An option wins over its environment variable, which wins over the default. */
export interface LoggingOptions {
  /** Log directory. Env `AUTOMAKE_LOG_DIR`; default `defaultLogDir()`. */
  dir?: string;
  /** Lowest level written, case-insensitive. Env `AUTOMAKE_LOG_LEVEL`; default `INFO`. */
  level?: string;
  /** Days a log of an ended session is kept; `Infinity` disables pruning. Env `AUTOMAKE_LOG_RETENTION_DAYS`; default 7. */
  retentionDays?: number;
  /** Record format. Env `AUTOMAKE_LOG_FORMAT`; default `text`. */
  format?: LogFormat;
  /** File name prefix; default `automake`. */
  prefix?: string;
  /** Bytes a session's file may reach before records below ERROR are dropped; `Infinity`: no limit. Env `AUTOMAKE_LOG_MAX_SESSION_SIZE`; default one eighth of `maxTotalBytes`. */
  maxSessionBytes?: number;
  /** Bytes the directory's logs may add up to before the oldest ended sessions' logs are deleted; `Infinity`: no limit. Env `AUTOMAKE_LOG_MAX_TOTAL_SIZE`; default 10% of the file system, at least 16 MiB, at most 1 GiB. */
  maxTotalBytes?: number;
  /** Free bytes the pruner keeps on the file system by deleting the oldest ended sessions' logs; 0: no rule. Env `AUTOMAKE_LOG_MIN_FREE`; default the smaller of 1 GiB and 5% of the file system. */
  minFreeBytes?: number;
  /** Environment to read the variables from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Extra fields for the session's first record (an application's version, say); default none. */
  header?: Record<string, unknown>;
  /**
   * Secrets replaced by `[REDACTED]` (design §8): `false` turns it off; an object adds key
   * names (matched exactly, case-insensitively) and patterns to the built-in rules.
   * Env `AUTOMAKE_LOG_REDACT` (`on`/`off`); default on.
   */
  redact?: RedactOption;
}

/** The `redact` option: on, off, or on with extra key names and patterns (design §8). */
export type RedactOption = boolean | { keys?: string[]; patterns?: RegExp[] };

/** Where a setting's value came from. */
export type SettingSource = 'option' | 'environment' | 'default';

/** A resolved setting, with its origin. */
export interface Setting<T> {
  value: T;
  source: SettingSource;
  /** The environment variable the value came from, or whose value was `rejected`. */
  variable?: string;
  /** The text of `variable` when it was set but not valid, so the default was taken instead. */
  rejected?: string;
}

/** The settings a session runs with. */
export interface LogSettings {
  dir: Setting<string>;
  level: Setting<LevelName>;
  retentionDays: Setting<number>;
  format: Setting<LogFormat>;
  prefix: Setting<string>;
  maxSessionBytes: Setting<number>;
  maxTotalBytes: Setting<number>;
  minFreeBytes: Setting<number>;
  redact: Setting<boolean>;
}

/** Options of `pruneOldLogs`. */
export interface PruneOptions {
  /** Age in days past which a log of an ended session is deleted; default 7. */
  retentionDays?: number;
  /** File name prefix; default `automake`. */
  prefix?: string;
  /** The present, in epoch ms; default `Date.now()`. */
  now?: number;
  /** Delete nothing: `deleted` lists what would be deleted; default false. */
  dryRun?: boolean;
  /** After the age rule, delete the oldest ended sessions' logs while the logs add up to more than this; default `Infinity`. */
  maxTotalBytes?: number;
  /** After the age rule, delete the oldest ended sessions' logs while the file system has less free than this; default 0. */
  minFreeBytes?: number;
}

/**
 * What a prune did: full paths deleted, matching regular files kept, per-file
 * errors, the bytes it deleted, and the bytes of the matching files left.
 */
export interface PruneReport {
  deleted: string[];
  kept: number;
  errors: { file: string; code: string; message: string }[];
  deletedBytes: number;
  totalBytes: number;
}

/** A named logger. `warn` is an alias of `warning`. */
export interface Logger {
  readonly name: string;
  debug(message: string, extra?: LogExtra): void;
  info(message: string, extra?: LogExtra): void;
  warning(message: string, extra?: LogExtra): void;
  warn(message: string, extra?: LogExtra): void;
  error(message: string, extra?: LogExtra): void;
  critical(message: string, extra?: LogExtra): void;
  /** A record at `level`, as Python's `Logger.log`. */
  log(level: LevelName, message: string, extra?: LogExtra): void;
  /**
   * Each line of `text` as a record of its own at `level`, all with one timestamp.
   * For output captured in bulk (`exec` relays a command's output with it): one call
   * per block of lines costs far less than one per line. `text` may be UTF-8 bytes,
   * as read from a pipe; a block of plain ASCII lines is then written without
   * becoming a string at all. The bytes are not kept past the call.
   */
  lines(level: LevelName, text: string | Uint8Array): void;
  /** Whether a record at `level` would be written now. */
  isEnabledFor(level: LevelName): boolean;
  /** A logger named `<this name>.<name>`. */
  child(name: string): Logger;
}

/** The open session returned by `initLogging`. */
export interface LogSession {
  /** Absolute path of this process's log file. */
  readonly filePath: string;
  /** The root logger, named `automake`. */
  readonly logger: Logger;
  /** What the startup prune did. */
  readonly pruned: PruneReport;
  /** Records lost to the size limit or a write failure; normally 0. */
  readonly dropped: number;
  /** The settings in force and where each came from. */
  readonly settings: LogSettings;
  /** One warning per environment value ignored as invalid; each is also one of the session's first records. */
  readonly warnings: readonly string[];
  /** The device and inode of the file: how this process knows its own log, whatever its name (§12). */
  readonly identity: FileIdentity;
  /** Writes every queued record to the file before returning. */
  flushSync(): void;
  /**
   * The highest level of the records loggers wrote in this session, not
   * counting the session's own (header, end, a signal's notice); undefined
   * when none. A tool can drop a log that holds nothing worth keeping.
   */
  readonly highestLevel: LevelName | undefined;
  /**
   * Writes the end record, with `exitCode` (default `process.exitCode`, else 0),
   * then every queued record; closes the file and detaches from the process.
   * Never rejects.
   */
  close(exitCode?: number): Promise<void>;
}

/** Thrown when logging cannot be set up: no log directory, or the file cannot be created or opened. */
export class LoggingSetupError extends Error {
  /** The path that could not be used. */
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'LoggingSetupError';
    this.path = path;
  }
}

/** The defaults of the options that have a fixed one; `dir`'s is `defaultLogDir()`. */
export const DEFAULTS: { readonly level: 'INFO'; readonly retentionDays: 7; readonly format: 'text'; readonly prefix: 'automake'; readonly redact: true } =
  Object.freeze({ level: 'INFO', retentionDays: 7, format: 'text', prefix: 'automake', redact: true });

/** The environment variable behind each option that has one. */
export const ENV_VARIABLES: {
  readonly dir: 'AUTOMAKE_LOG_DIR';
  readonly level: 'AUTOMAKE_LOG_LEVEL';
  readonly retentionDays: 'AUTOMAKE_LOG_RETENTION_DAYS';
  readonly format: 'AUTOMAKE_LOG_FORMAT';
  readonly maxSessionBytes: 'AUTOMAKE_LOG_MAX_SESSION_SIZE';
  readonly maxTotalBytes: 'AUTOMAKE_LOG_MAX_TOTAL_SIZE';
  readonly minFreeBytes: 'AUTOMAKE_LOG_MIN_FREE';
  readonly redact: 'AUTOMAKE_LOG_REDACT';
} = Object.freeze({
  dir: 'AUTOMAKE_LOG_DIR',
  level: 'AUTOMAKE_LOG_LEVEL',
  retentionDays: 'AUTOMAKE_LOG_RETENTION_DAYS',
  format: 'AUTOMAKE_LOG_FORMAT',
  maxSessionBytes: 'AUTOMAKE_LOG_MAX_SESSION_SIZE',
  maxTotalBytes: 'AUTOMAKE_LOG_MAX_TOTAL_SIZE',
  minFreeBytes: 'AUTOMAKE_LOG_MIN_FREE',
  redact: 'AUTOMAKE_LOG_REDACT',
} as const);

const OPTION_NAMES = new Set(['dir', 'level', 'retentionDays', 'format', 'prefix', 'maxSessionBytes', 'maxTotalBytes', 'minFreeBytes', 'env', 'header', 'redact']);

// ---------------------------------------------------------------------------
// Settings: an option, else its environment variable, else the default
// ---------------------------------------------------------------------------

/** A value as an error message quotes it: strings in quotes, so that "" and " " show. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

/** The `code` of a system error (`ENOENT`), or `UNKNOWN` when it has none. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** The message of anything thrown: an Error's `message`, or the value as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkRetentionDays(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new TypeError(`${what} must be a positive number of days (or Infinity): received ${describe(value)}`);
  }
  return value;
}

// A prefix becomes part of a file name and of the pruner's pattern: keep it to
// characters that need no quoting in either.
const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function checkPrefix(value: unknown): string {
  if (typeof value !== 'string' || !PREFIX_PATTERN.test(value)) {
    throw new TypeError(`"prefix" must be letters, digits, ".", "_" or "-", starting with a letter or digit: received ${describe(value)}`);
  }
  return value;
}

const LEVEL_ALIASES: Record<string, LevelName> = {
  DEBUG: 'DEBUG', INFO: 'INFO', WARNING: 'WARNING', WARN: 'WARNING', ERROR: 'ERROR', CRITICAL: 'CRITICAL',
};

/** Parses a level name case-insensitively (`warn` is `WARNING`); `undefined` when it is not one. */
export function parseLevel(value: string): LevelName | undefined {
  const name = value.trim().toUpperCase();
  return Object.hasOwn(LEVEL_ALIASES, name) ? LEVEL_ALIASES[name] : undefined;
}

/** The number of a level name given in code; a name that is not one is a caller's bug, and says so. */
function levelValue(level: LevelName): number {
  const value = Object.hasOwn(LEVEL_VALUES, level) ? LEVEL_VALUES[level] : undefined;
  if (value === undefined) throw new TypeError(`Level must be one of ${Object.keys(LEVEL_VALUES).join(', ')}: received ${describe(level)}`);
  return value;
}

function parseFormat(text: string): LogFormat | undefined {
  const format = text.trim().toLowerCase();
  return format === 'text' || format === 'json' ? format : undefined;
}

const SWITCH_WORDS: Record<string, boolean> = { on: true, true: true, 1: true, yes: true, off: false, false: false, 0: false, no: false };

function parseSwitch(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  return Object.hasOwn(SWITCH_WORDS, word) ? SWITCH_WORDS[word] : undefined;
}

// A user pattern may repeat without bound this many times. Backtracking can
// cost the slice's length to the power of their number: with 3 and slices of
// USER_PATTERN_SLICE characters, a few milliseconds at worst.
const MAX_UNBOUNDED_REPETITIONS = 3;

/**
 * Why a user pattern could backtrack without practical bound, or undefined: a
 * repeated group that holds a repetition or an alternation (`(a+)+$`,
 * `(a|aa)*$`: exponential), or more than MAX_UNBOUNDED_REPETITIONS of `*`, `+`,
 * `{n,}` (`a*a*a*a*b`: a high power).
 */
function backtrackingRisk(source: string): string | undefined {
  // Per open group: whether it holds a repetition or an alternation.
  const groups: boolean[] = [];
  const repeatsAt = (i: number) => source[i] === '*' || source[i] === '+' || /^\{\d*,\d*\}|^\{\d*[2-9]\d*\}|^\{\d{2,}\}/.test(source.slice(i, i + 12));
  const unboundedAt = (i: number) => source[i] === '*' || source[i] === '+' || /^\{\d*,(\d{3,}|[2-9]\d)?\}/.test(source.slice(i, i + 12));
  const markOuter = () => {
    if (groups.length > 0) groups[groups.length - 1] = true;
  };
  let unbounded = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') groups.push(false);
    else if (c === '|') markOuter();
    else if (c === ')') {
      const holds = groups.pop() === true;
      if (holds && repeatsAt(i + 1)) return 'must not repeat a group that holds a repetition or an alternation, which can take exponential time';
      if (holds || repeatsAt(i + 1)) markOuter();
    } else if (repeatsAt(i)) markOuter();
    if (!inClass && c !== '\\' && unboundedAt(i + (c === ')' ? 1 : 0)) && (c === ')' || repeatsAt(i))) unbounded++;
  }
  if (unbounded > MAX_UNBOUNDED_REPETITIONS) {
    return `may repeat without bound (*, +, {n,}) at most ${MAX_UNBOUNDED_REPETITIONS} times, to bound its backtracking`;
  }
  return undefined;
}

function checkRedact(value: unknown): void {
  if (typeof value === 'boolean') return;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof RegExp) {
    throw new TypeError(`"redact" must be true, false or { keys, patterns }: received ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'keys' && key !== 'patterns') throw new TypeError(`Unknown "redact" option "${key}": expected keys or patterns`);
  }
  const { keys, patterns } = value as { keys?: unknown; patterns?: unknown };
  if (keys !== undefined && (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string' && key !== ''))) {
    throw new TypeError(`"redact.keys" must be an array of non-empty strings: received ${describe(keys)}`);
  }
  if (patterns !== undefined && (!Array.isArray(patterns) || !patterns.every((pattern) => pattern instanceof RegExp))) {
    throw new TypeError(`"redact.patterns" must be an array of regular expressions: received ${describe(patterns)}`);
  }
  for (const pattern of (patterns ?? []) as RegExp[]) {
    const risk = backtrackingRisk(pattern.source);
    if (risk !== undefined) throw new TypeError(`"redact.patterns" ${risk}: received ${String(pattern)}`);
    if (pattern.test('')) {
      throw new TypeError(`"redact.patterns" must not match the empty string: received ${String(pattern)}`);
    }
  }
}

function parseRetention(text: string): number | undefined {
  const days = Number(text.trim());
  return days > 0 ? days : undefined;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
type SizeUnit = 'K' | 'M' | 'G' | 'T';
const SIZE_UNITS: Readonly<Record<SizeUnit, number>> = { K: KIB, M: MIB, G: GIB, T: 1024 * GIB };
// `4096`, `4096B`, `512K`, `512KiB`, `64M`, `64MB`, `1g`: powers of 1024 whatever the spelling.
const SIZE_TEXT = /^(\d+)\s*(?:([KMGT])(?:I?B)?|B)?$/;

/**
 * Parses a size as the environment gives it: a whole number of bytes with an
 * optional `K`, `M`, `G` or `T` (powers of 1024, case-insensitive, `KiB` and `MB`
 * spellings accepted), or `unlimited` (Infinity). `undefined` when it is not one.
 */
export function parseSize(text: string): number | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === 'UNLIMITED') return Infinity;
  const match = SIZE_TEXT.exec(upper);
  if (match === null) return undefined;
  const unit = match[2] as SizeUnit | undefined;
  const bytes = Number(match[1]) * (unit === undefined ? 1 : SIZE_UNITS[unit]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** A size exactly, for messages: `256 KiB`, `1 GiB`, `1000 bytes`, `unlimited`. */
function sizeText(bytes: number): string {
  if (bytes === Infinity) return 'unlimited';
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    const size = SIZE_UNITS[unit];
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}iB`;
  }
  return `${bytes} bytes`;
}

/** A size given in code: a whole number of bytes, or Infinity for no limit. */
function checkSize(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value === Infinity || (Number.isSafeInteger(value) && value >= 0))) {
    throw new TypeError(`${what} must be a whole number of bytes, or Infinity for no limit: received ${describe(value)}`);
  }
  return value;
}

// journald's rule for its own budget with smaller bounds: logs may take 10% of
// the file system (SystemMaxUse: 10%, at most 4 GiB; ours at least 16 MiB and
// at most 1 GiB), and 5% of it, at most 1 GiB, is kept free (SystemKeepFree:
// 15%, at most 4 GiB; journald answers for the whole system's logs, we for one
// tool's).
const TOTAL_SHARE = 0.1;
const TOTAL_FLOOR = 16 * MIB;
const TOTAL_CEILING = GIB;
const FREE_SHARE = 0.05;
const FREE_CEILING = GIB;
// The share of the directory's budget one session may take: eight runaway
// sessions fill it, one cannot.
const SESSIONS_PER_BUDGET = 8;

/**
 * The size and the free bytes of the file system `dir` is on, or will be on once
 * made (its nearest existing parent's); undefined where statfs fails or is missing
 * (Node before 18.15, some runtimes).
 */
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

/**
 * The default budget for logs in `dir`, from its file system's size, in whole MiB.
 * Where the file system cannot be measured: the largest budget the rule ever
 * gives (1 GiB) and no free-space rule, which could not be checked either.
 */
function defaultBudget(dir: string): { maxTotalBytes: number; minFreeBytes: number } {
  const space = fileSystemSpace(dir);
  if (space === undefined) return { maxTotalBytes: TOTAL_CEILING, minFreeBytes: 0 };
  const share = (fraction: number) => Math.floor((space.size * fraction) / MIB) * MIB;
  return {
    maxTotalBytes: Math.min(TOTAL_CEILING, Math.max(TOTAL_FLOOR, share(TOTAL_SHARE))),
    minFreeBytes: Math.min(FREE_CEILING, share(FREE_SHARE)),
  };
}

/** Checks options given in code: a bad value throws a TypeError naming the option and the value. */
function checkOptions(options: LoggingOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Options must be an object: received ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new TypeError(`Unknown option "${key}": expected one of ${[...OPTION_NAMES].join(', ')}`);
  }
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new TypeError(`"dir" must be a non-empty path: received ${describe(options.dir)}`);
  }
  if (options.level !== undefined && (typeof options.level !== 'string' || parseLevel(options.level) === undefined)) {
    throw new TypeError(`"level" must be one of ${Object.keys(LEVEL_VALUES).join(', ')}: received ${describe(options.level)}`);
  }
  if (options.retentionDays !== undefined) checkRetentionDays(options.retentionDays, '"retentionDays"');
  if (options.format !== undefined && (typeof options.format !== 'string' || parseFormat(options.format) !== options.format)) {
    throw new TypeError(`"format" must be "text" or "json": received ${describe(options.format)}`);
  }
  if (options.prefix !== undefined) checkPrefix(options.prefix);
  for (const name of ['maxSessionBytes', 'maxTotalBytes', 'minFreeBytes'] as const) {
    if (options[name] !== undefined) checkSize(options[name], `"${name}"`);
  }
  if (options.header !== undefined && !isPlainObject(options.header)) {
    throw new TypeError(`"header" must be a plain object of fields: received ${describe(options.header)}`);
  }
  if (options.redact !== undefined) checkRedact(options.redact);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** One setting: the option when given, else the variable when set and valid, else the fallback. */
function resolveSetting<T>(
  option: T | undefined,
  variable: string,
  env: Record<string, string | undefined>,
  fallback: T,
  parseEnv: (text: string) => T | undefined,
): Setting<T> {
  if (option !== undefined) return { value: option, source: 'option' };
  const text = env[variable];
  if (text === undefined || text.trim() === '') return { value: fallback, source: 'default' };
  const value = parseEnv(text);
  if (value === undefined) return { value: fallback, source: 'default', variable, rejected: text };
  return { value, source: 'environment', variable };
}

/** The warning for a variable whose value was ignored, naming the variable, the value and the default taken. */
function rejectedWarning<T>(setting: Setting<T>, shown: (value: T) => string = String): string | undefined {
  if (setting.rejected === undefined) return undefined;
  return `Ignoring ${setting.variable}=${JSON.stringify(setting.rejected)}: not a valid value; using the default ${shown(setting.value)}`;
}

/** The settings in force, and a warning for each environment value that was ignored. */
export interface ResolvedSettings {
  settings: LogSettings;
  warnings: string[];
}

/**
 * Resolves the settings: an option wins over its environment variable, which
 * wins over the default. Bad environment values fall back to the default and
 * come back as warnings, to be logged as the session's first records.
 */
export function resolveSettings(options: LoggingOptions = {}): ResolvedSettings {
  checkOptions(options);
  const env = options.env ?? process.env;
  const optionLevel = options.level === undefined ? undefined : parseLevel(options.level);
  const level = resolveSetting(optionLevel, ENV_VARIABLES.level, env, DEFAULTS.level, parseLevel);
  const retentionDays = resolveSetting(options.retentionDays, ENV_VARIABLES.retentionDays, env, DEFAULTS.retentionDays as number, parseRetention);
  const format = resolveSetting(options.format, ENV_VARIABLES.format, env, DEFAULTS.format as LogFormat, parseFormat);
  const prefix: Setting<string> = options.prefix === undefined
    ? { value: DEFAULTS.prefix, source: 'default' }
    : { value: options.prefix, source: 'option' };
  // Any non-empty text names a directory, so none is rejected here: opening it says what is wrong.
  const variable = ENV_VARIABLES.dir;
  let dir: Setting<string>;
  if (options.dir !== undefined) dir = { value: options.dir, source: 'option' };
  else if (env[variable]) dir = { value: env[variable]!, source: 'environment', variable };
  else dir = { value: defaultLogDir(env), source: 'default' };
  const redact = resolveSetting(options.redact === undefined ? undefined : options.redact !== false, ENV_VARIABLES.redact, env, DEFAULTS.redact as boolean, parseSwitch);
  // The budget's defaults depend on the file system the logs are on (§6).
  const budget = defaultBudget(dir.value);
  const maxTotalBytes = resolveSetting(options.maxTotalBytes, ENV_VARIABLES.maxTotalBytes, env, budget.maxTotalBytes, parseSize);
  const sessionDefault = Math.floor(maxTotalBytes.value / SESSIONS_PER_BUDGET);
  const maxSessionBytes = resolveSetting(options.maxSessionBytes, ENV_VARIABLES.maxSessionBytes, env, sessionDefault, parseSize);
  const minFreeBytes = resolveSetting(options.minFreeBytes, ENV_VARIABLES.minFreeBytes, env, budget.minFreeBytes, parseSize);
  const warnings = [
    ...[level, retentionDays, format, redact].map((setting: Setting<unknown>) => rejectedWarning(setting)),
    ...[maxSessionBytes, maxTotalBytes, minFreeBytes].map((setting) => rejectedWarning(setting, sizeText)),
  ].filter((w): w is string => w !== undefined);
  return { settings: { dir, level, retentionDays, format, prefix, redact, maxSessionBytes, maxTotalBytes, minFreeBytes }, warnings };
}

// ---------------------------------------------------------------------------
// Levels and record format
// ---------------------------------------------------------------------------

/** Python's numbers. Records carry their level as one of these, and the threshold test compares them. */
export const LEVEL_VALUES: Readonly<Record<LevelName, number>> = Object.freeze({ DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 });
export const LEVEL_NAMES: Readonly<Record<number, LevelName>> = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR', 50: 'CRITICAL' };
/** pino's numbers, which JSON records carry, so that pino-pretty and log shippers read them as they are. */
export const PINO_LEVELS: Readonly<Record<LevelName, number>> = Object.freeze({ DEBUG: 20, INFO: 30, WARNING: 40, ERROR: 50, CRITICAL: 60 });
// The record format as a reader needs it (the command line's `logs` commands read
// logs back with these): a text record is `<timestamp> - <logger> - <LEVEL> - <message>`
// and its continuation lines start with CONTINUATION's indent; a JSON record is one
// line with JSON_CORE_FIELDS; the session's first and last records carry
// HEADER_MESSAGE and END_MESSAGE.
/** How a text record's first line starts: its local timestamp, `YYYY-MM-DD HH:MM:SS,mmm`, and the separator. */
export const TEXT_RECORD_START: RegExp = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - /;
/** What separates a text record's timestamp, logger name, level and message. */
export const TEXT_SEPARATOR = ' - ';
/**
 * `text` with every control character but tab and newline escaped, as the writer
 * escapes them: `\r` and `\xNN` in text, `\u00NN` in JSON (which stays valid JSON).
 * What a reader applies to a file's bytes before they reach a terminal.
 */
export function escapeControlChars(text: string, json: boolean = false): string {
  if (!json) return escapeTextChunk(text);
  // JSON.stringify escapes C0 controls in what the writer writes; a line it did not write may hold them raw.
  return CONTROL_CHAR_TEXT.test(text) ? text.replace(CONTROL_CHARS_TEXT, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : text;
}
// Causes can form a cycle; this many levels are plenty to find the origin.
const MAX_CAUSE_DEPTH = 5;

// Control characters other than tab and newline could drive a terminal that
// `cat`s the log (ESC starts ANSI sequences; U+009B is a one-character CSI).
// Only a newline has a meaning in a record's structure, so it is handled per
// message, where it is cheap (indexOf); every other control character is
// escaped once per chunk, just before the chunk is encoded: scanning a message
// with a regex first flattens its concatenated string, which cost more than the
// rest of the record put together. Our own parts of a record hold none of them,
// so escaping the whole chunk changes only what came from the caller.
const CONTROL_CHAR_TEXT = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const CONTROL_CHARS_TEXT = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// JSON.stringify escapes C0 controls already, but leaves DEL and C1 raw.
const CONTROL_CHAR_JSON = /[\x7f-\x9f]/;
const CONTROL_CHARS_JSON = /[\x7f-\x9f]/g;
// Every continuation line starts with this, so no message can start a line that
// looks like a record of its own.
export const CONTINUATION = '\n    ';

/** A chunk of text records with control characters escaped: `\r` as `\\r`, the rest as `\\xNN`. */
function escapeTextChunk(chunk: string): string {
  if (!CONTROL_CHAR_TEXT.test(chunk)) return chunk;
  return chunk.replace(CONTROL_CHARS_TEXT, (c) => (c === '\r' ? '\\r' : '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0')));
}

/** A chunk of JSON records with DEL and C1 controls escaped as `\\u00NN`. */
function escapeJsonChunk(chunk: string): string {
  if (!CONTROL_CHAR_JSON.test(chunk)) return chunk;
  return chunk.replace(CONTROL_CHARS_JSON, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** Indents every line after the first, so a message cannot forge a record. */
function indentLines(text: string): string {
  return text.indexOf('\n') < 0 ? text : text.replaceAll('\n', CONTINUATION);
}

/**
 * The newline check of a text record without an Error (whose stack lines are
 * newlines of its own), deferred to its chunk: searching every message when
 * it is logged copies it once more and cost a tenth of the time of logging.
 * Instead the chunk's newlines are counted when it is encoded
 * (ChunkEncoder.encode) and compared with `newlines`, the count if no such
 * message holds one; only when they differ are those records, at `unchecked`
 * (each a start and an end offset in the chunk), searched, and their messages
 * indented as indentLines does (their fields, quoted, hold none).
 */
interface LineCheck {
  newlines: number;
  unchecked: Int32Array;
}

/** `chunk` with the newlines in the messages of the records at `unchecked` indented (LineCheck). */
function indentNewlines(chunk: string, unchecked: Int32Array): string {
  let text = '';
  let copied = 0;
  for (let i = 0; i < unchecked.length; i += 2) {
    const start = unchecked[i]!;
    const end = unchecked[i + 1]!;
    // The record's last character is its own newline; one before it is the message's.
    const first = chunk.indexOf('\n', start);
    if (first < 0 || first >= end - 1) continue;
    text += chunk.slice(copied, start) + indentLines(chunk.slice(start, end - 1)) + '\n';
    copied = end;
  }
  return copied === 0 ? chunk : text + chunk.slice(copied);
}

/** `array` in one twice as long. */
function growInt32(array: Int32Array): Int32Array {
  const grown = new Int32Array(array.length * 2);
  grown.set(array);
  return grown;
}

/** How many newlines `text` holds. */
function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) count++;
  return count;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** `YYYY-MM-DD` in local time. */
function localDate(date: Date): string {
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

// Formatting a Date costs far more than a record; the seconds part changes at
// most once a second, and records logged in a burst share their millisecond.
let cachedSecond = NaN;
let cachedSecondText = '';
let cachedMs = NaN;
let cachedMsText = '';
const MILLIS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as Python's logging writes it. */
function formatTimestamp(ms: number): string {
  if (ms === cachedMs) return cachedMsText;
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecondText = `${localDate(d)} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())},`;
    cachedSecond = second;
  }
  cachedMs = ms;
  // Joined, to be a flat string: see textHead.
  cachedMsText = [cachedSecondText, MILLIS[ms - second * 1000]].join('');
  return cachedMsText;
}

function jsonReplacer(key: string, value: unknown): unknown {
  // Every key at every depth of an extra field passes here (design §8, rule 1).
  if (key !== '' && redactor !== null && isSensitiveKey(redactor, key)) return REDACTED;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

/** JSON for any value, or a placeholder text when it has none (a cycle, a throwing getter). */
function jsonOrPlaceholder(value: unknown): { json: string } | { placeholder: string } {
  try {
    const json = JSON.stringify(value, jsonReplacer);
    return { json: json === undefined ? 'null' : json };
  } catch (error) {
    return { placeholder: `[unserializable: ${errorMessage(error)}]` };
  }
}

/** JSON for any value; never throws. */
function toJson(value: unknown): string {
  const result = jsonOrPlaceholder(value);
  return 'json' in result ? result.json : JSON.stringify(result.placeholder);
}

/** pino's error shape, `{ type, message, stack }`, with `code` and the `cause` chain when present. */
function serializeError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { type: error.name, message: error.message, stack: errorStack(error) };
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    out['cause'] = error.cause instanceof Error ? serializeError(error.cause, depth + 1) : error.cause;
  }
  return out;
}

function errorStack(error: Error): string {
  return typeof error.stack === 'string' && error.stack !== '' ? error.stack : `${error.name}: ${error.message}`;
}

/** The stack of an error and of its causes, as continuation lines of a text record. */
function formatErrorText(error: Error): string {
  let text = '';
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < MAX_CAUSE_DEPTH; depth++) {
    text += CONTINUATION + (depth > 0 ? 'Caused by: ' : '') + indentLines(errorStack(current));
    current = current.cause;
  }
  return text;
}

function stringifyValue(value: unknown): string {
  switch (typeof value) {
    case 'string': return value;
    case 'number': case 'boolean': case 'bigint': case 'undefined': case 'symbol': return String(value);
    case 'function': return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return 'null';
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  const result = jsonOrPlaceholder(value);
  return 'json' in result ? result.json : result.placeholder;
}

// As in Go's slog text handler: quote a key or value that would not read back
// as one token (empty, or holding a space, "=", a quote or a control character).
const NEEDS_QUOTING = /[\s="\x00-\x1f\x7f-\x9f]/;

function quoteIfNeeded(text: string): string {
  return text === '' || NEEDS_QUOTING.test(text) ? JSON.stringify(text) : text;
}

function formatFieldsText(fields: Record<string, unknown>): string {
  let text = '';
  for (const key of Object.keys(fields)) text += ' ' + quoteIfNeeded(key) + '=' + quoteIfNeeded(stringifyValue(fieldValue(key, fields[key])));
  return text;
}

// Fields a JSON record always has; an extra field with one of these names is
// written with a trailing underscore rather than shadow it.
export const JSON_CORE_FIELDS: ReadonlySet<string> = new Set(['level', 'time', 'pid', 'name', 'msg']);

function formatFieldsJson(fields: Record<string, unknown>): string {
  let text = '';
  for (const key of Object.keys(fields)) {
    const value = fieldValue(key, fields[key]);
    if (value === undefined) continue;
    text += ',' + JSON.stringify(JSON_CORE_FIELDS.has(key) ? key + '_' : key) + ':' + toJson(value);
  }
  return text;
}

/**
 * The parts of a record that depend only on the logger and the level, built once
 * per logger and indexed by level value; `json[0]` is the part after the time.
 */
interface RecordPrefixes {
  text: Record<number, string>;
  json: Record<number, string>;
}

function buildPrefixes(name: string): RecordPrefixes {
  const text: Record<number, string> = {};
  const json: Record<number, string> = {};
  const jsonName = JSON.stringify(name);
  for (const levelName of Object.keys(LEVEL_VALUES) as LevelName[]) {
    const value = LEVEL_VALUES[levelName];
    // Joined, to be flat strings: see textHead.
    text[value] = [' - ', name, ' - ', levelName, ' - '].join('');
    json[value] = ['{"level":', PINO_LEVELS[levelName], ',"time":'].join('');
  }
  json[0] = [',"pid":', process.pid, ',"name":', jsonName, ',"msg":'].join('');
  return { text, json };
}

function messageText(message: unknown): string {
  return typeof message === 'string' ? message : stringifyValue(message);
}

/** One text record, newline included. */
function formatTextRecord(time: number, level: number, prefixes: RecordPrefixes, message: unknown, extra: LogExtra | undefined): string {
  let line = formatTimestamp(time) + prefixes.text[level] + indentLines(messageText(message));
  if (extra !== undefined && extra !== null) {
    line += extra instanceof Error ? formatErrorText(extra) : formatFieldsText(extra);
  }
  return line + '\n';
}

/** One JSON record, newline included: pino's field names and numeric levels. */
function formatJsonRecord(time: number, level: number, prefixes: RecordPrefixes, message: unknown, extra: LogExtra | undefined): string {
  let line = prefixes.json[level]! + time + prefixes.json[0] + JSON.stringify(messageText(message));
  if (extra !== undefined && extra !== null) {
    line += extra instanceof Error ? ',"err":' + toJson(extra) : formatFieldsJson(extra);
  }
  return line + '}\n';
}

// ---------------------------------------------------------------------------
// Redaction (design §8): secrets never reach the file
// ---------------------------------------------------------------------------

/** What replaces a secret. */
const REDACTED = '[REDACTED]';

// A key is sensitive when, lower-cased with `_` and `-` removed, it ends with
// one of these or is one of the short names: `db_password`, `refreshToken`,
// `OPENAI_API_KEY`, `x-api-key`; but not `author`, `max_tokens`, `tokens_used`.
const SENSITIVE_KEY_ENDINGS = [
  'password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'accesskey', 'privatekey',
  'authorization', 'cookie', 'credential', 'credentials', 'sessionid',
];
const SENSITIVE_KEY_NAMES = ['auth', 'pass', 'pwd'];
const SENSITIVE_KEY = new RegExp(`^(?:${SENSITIVE_KEY_NAMES.join('|')})$|(?:${SENSITIVE_KEY_ENDINGS.join('|')})$`);
// Keys seen are remembered, up to this many (a program logs few distinct keys).
const KEY_CACHE_LIMIT = 10_000;

// User patterns run on slices of at most this many characters, cut at a line
// end or space where there is one, so that a pattern that backtracks badly on
// a long text still has a bounded input.
const USER_PATTERN_SLICE = 256;
// A user pattern that has taken this long in all is dropped for the rest of the
// session (with a WARNING), so that it cannot stall the program for ever.
const USER_PATTERN_BUDGET_MS = 200;

/** The rules in force: the built-in ones, plus the user's keys and patterns. */
interface Redactor {
  readonly userKeys: ReadonlySet<string>;
  readonly userPatterns: { pattern: RegExp; spentMs: number }[];
  readonly keyCache: Map<string, boolean>;
}

function makeRedactor(keys: readonly string[] = [], patterns: readonly RegExp[] = []): Redactor {
  return {
    userKeys: new Set(keys.map((key) => key.toLowerCase())),
    // Our own global copy: every match is replaced, and the caller's lastIndex is never touched.
    userPatterns: patterns.map((p) => ({ pattern: new RegExp(p.source, p.flags.includes('g') ? p.flags : p.flags + 'g'), spentMs: 0 })),
    keyCache: new Map(),
  };
}

// The rules records are redacted with; null when redaction is off. Set by
// initLogging; the defaults until then (records held before it, stderr's last resort).
let redactor: Redactor | null = makeRedactor();

function isSensitiveKey(rules: Redactor, key: string): boolean {
  let sensitive = rules.keyCache.get(key);
  if (sensitive === undefined) {
    const lower = key.toLowerCase();
    sensitive = SENSITIVE_KEY.test(lower.replace(/[_-]/g, '')) || rules.userKeys.has(lower);
    if (rules.keyCache.size < KEY_CACHE_LIMIT) rules.keyCache.set(key, sensitive);
  }
  return sensitive;
}

/** An extra field's value as it may be written: `[REDACTED]` when its key is sensitive. */
function fieldValue(key: string, value: unknown): unknown {
  return redactor !== null && isSensitiveKey(redactor, key) ? REDACTED : value;
}

// --- Rule 2: secrets in text -------------------------------------------------

// A value after a sensitive key: quoted (quotes kept), quoted with escaped quotes
// (inside a quoted field of a text record), or bare up to a space, quote,
// backslash, `,`, `;` or `&` (the ends of a value in a command line, a query
// string or a connection string). An object or array (`"auth": {`) is no value:
// its own keys are looked at instead.
const VALUE = String.raw`"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\\"(?:(?!\\")[^\n])*\\"|[^\s"'\\,;&{[][^\s"'\\,;&]*`;
// What comes between a key and its value: `key=`, `--key=`, `key: `, `"key": `
// or `"key":` (quotes maybe escaped), or `--key ` (key included). The regex
// finds the separator, which V8 searches for fast; the key before it is read
// by keyBefore, and judged by isSensitiveKey.
const KEY_SEPARATOR = /=|:[ ]+|["']:[ ]*|--(?=[A-Za-z_])/g;

/** Whether the character code `c` may begin a key: `[A-Za-z_]`. */
function isKeyStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

/** Whether the character code `c` is a word character: `\w`. */
function isWordChar(c: number): boolean {
  return isKeyStart(c) || (c >= 0x30 && c <= 0x39);
}

/** Whether the character code `c` may be part of a key: `[\w.-]`. */
function isKeyChar(c: number): boolean {
  return isKeyStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e;
}

/** The key that ends just before `end` in `text` (up to two leading `-` left out), or '' when there is none. */
function keyBefore(text: string, end: number): string {
  let start = end;
  while (start > 0 && isKeyChar(text.charCodeAt(start - 1))) start--;
  // `-{0,2}`, then a letter or `_`: `--token`, `-t`, `token`; not `---x`, `-1`.
  if (text.charCodeAt(start) === 0x2d) start++;
  if (text.charCodeAt(start) === 0x2d) start++;
  return start < end && isKeyStart(text.charCodeAt(start)) ? text.slice(start, end) : '';
}

/** The key a separator found by KEY_SEPARATOR belongs to, and where its value starts; undefined when it has none. */
function keyOfSeparator(text: string, at: number, separator: string): { key: string; valueStart: number } | undefined {
  const first = separator[0];
  if (first === '-') {
    // `--key value`: not inside a word (`a--b c`); the value follows spaces and is no flag.
    const before = text.charCodeAt(at - 1);
    if (before !== 0x2e && isKeyChar(before)) return undefined;
    let keyEnd = at + 2;
    while (keyEnd < text.length && isKeyChar(text.charCodeAt(keyEnd))) keyEnd++;
    let valueStart = keyEnd;
    while (text[valueStart] === ' ') valueStart++;
    if (valueStart === keyEnd || text[valueStart] === '-') return undefined;
    return { key: text.slice(at + 2, keyEnd), valueStart };
  }
  const valueStart = at + separator.length;
  if (first !== '"' && first !== "'") {
    const key = keyBefore(text, at);
    return key === '' ? undefined : { key, valueStart };
  }
  // `"key":`: the opening quote is the closing one, escaped when that is.
  const escaped = text[at - 1] === '\\';
  const keyEnd = escaped ? at - 1 : at;
  const key = keyBefore(text, keyEnd);
  const open = keyEnd - key.length;
  if (key === '' || text[open - 1] !== first || (escaped && text[open - 2] !== '\\')) return undefined;
  return { key, valueStart };
}

// After `Authorization: ` (or any sensitive key) the scheme word stays.
const VALUE_AT = new RegExp(String.raw`(?:(?:bearer|basic)[ ]+)?(${VALUE})`, 'iy');
// A bare `Bearer ` is followed by a token (8 or more token characters, not all
// letters), so that prose ("the Bearer of bad news") is left alone. Matched
// where `Bearer` is found and not inside a word: a lookbehind at the start of
// a regex would keep V8 from searching for the literal.
const BEARER_AT = /(Bearer[ ]+)(?=[A-Za-z0-9._~+/-]{8})(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]+=*/y;
// `scheme://user:password@`: found by its `://`; the scheme, before it, is read in code.
const URL_CREDENTIALS_AT = /([^\s:@/"'\\]*:)[^\s@/"'\\]+(?=@)/y;
const PEM_BLOCK = /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?:[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----)|[\s\S]*)/g;
// `-p<password>` only after a MySQL or MariaDB client on the same line: in most
// other commands `-p` is something else (`mkdir -p`, `ssh -p 22`, `grep -P`).
// The flag is found first, then the client looked for in the 256 characters
// of its line before it.
const MYSQL_PASSWORD_FLAG = / -p(?=[^\s"'\\])/g;
const MYSQL_CLIENT = /\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlshow|mysqlslap|mariadb|mariadb-dump|mariadb-admin)\b/;
const MYSQL_PASSWORD = /[^\s"'\\]+/y;

/** Each bare `Bearer <token>`'s token. */
function redactBearerTokens(text: string): string {
  let out = '';
  let done = 0;
  for (let at = text.indexOf('Bearer'); at >= 0; at = text.indexOf('Bearer', at + 1)) {
    const before = text.charCodeAt(at - 1);
    if (at < done || before === 0x2d || isWordChar(before)) continue;
    BEARER_AT.lastIndex = at;
    const m = BEARER_AT.exec(text);
    if (m === null) continue;
    out += text.slice(done, at) + m[1] + REDACTED;
    done = BEARER_AT.lastIndex;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** Whether the character code `c` may be part of a URL's scheme: `[A-Za-z0-9+.-]`. */
function isSchemeChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2e || c === 0x2d;
}

/** The password of each `scheme://user:password@host`. */
function redactUrlPasswords(text: string): string {
  let out = '';
  let done = 0;
  for (let at = text.indexOf('://'); at >= 0; at = text.indexOf('://', at + 1)) {
    // The scheme: a letter, then letters, digits, `+`, `.`, `-`; no word character before it.
    let start = at;
    while (start > 0 && isSchemeChar(text.charCodeAt(start - 1))) start--;
    const first = text.charCodeAt(start);
    if (start === at || !isKeyStart(first) || first === 0x5f || text.charCodeAt(start - 1) === 0x5f) continue;
    URL_CREDENTIALS_AT.lastIndex = at + 3;
    const m = URL_CREDENTIALS_AT.exec(text);
    if (m === null) continue;
    out += text.slice(done, at + 3) + m[1] + REDACTED;
    done = URL_CREDENTIALS_AT.lastIndex;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** The password in `-p<password>` after a MySQL or MariaDB client on the same line. */
function redactMysqlPasswords(text: string): string {
  let out = '';
  let done = 0;
  MYSQL_PASSWORD_FLAG.lastIndex = 0;
  for (let m = MYSQL_PASSWORD_FLAG.exec(text); m !== null; m = MYSQL_PASSWORD_FLAG.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 256), m.index);
    if (!MYSQL_CLIENT.test(before.slice(before.lastIndexOf('\n') + 1))) continue;
    MYSQL_PASSWORD.lastIndex = MYSQL_PASSWORD_FLAG.lastIndex;
    if (!MYSQL_PASSWORD.test(text)) continue;
    out += text.slice(done, MYSQL_PASSWORD_FLAG.lastIndex) + REDACTED;
    done = MYSQL_PASSWORD_FLAG.lastIndex = MYSQL_PASSWORD.lastIndex;
  }
  return done === 0 ? text : out + text.slice(done);
}
// Token formats, each at a word boundary (an ANSI colour code counts as one).
const TOKEN_FORMATS = [
  String.raw`sk-[A-Za-z0-9_-]{20,}`, // OpenAI, Anthropic and other `sk-` API keys
  String.raw`gh[pousr]_[A-Za-z0-9]{20,}`, // GitHub
  String.raw`github_pat_[A-Za-z0-9_]{20,}`,
  String.raw`glpat-[A-Za-z0-9_-]{20,}`, // GitLab
  String.raw`(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])`, // AWS access key IDs
  String.raw`xox[abposr]-[A-Za-z0-9-]{10,}`, // Slack
  String.raw`AIza[A-Za-z0-9_-]{35}`, // Google
  String.raw`npm_[A-Za-z0-9]{36}`, // npm
  String.raw`hf_[A-Za-z0-9]{30,}`, // Hugging Face
  String.raw`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`, // JSON Web Tokens
];
const TOKEN_PREFIX = /sk-|gh[pousr]_|github_pat_|glpat-|A[KS]IA|xox[abposr]-|AIza|npm_|hf_|eyJ/g;
// The prefixes are searched for first and the word boundary checked in code: a
// lookbehind at the start of the regex would stop V8 from searching for them
// (4 times slower); a token is then matched where a prefix at a boundary is.
const TOKEN_AT = new RegExp(TOKEN_FORMATS.join('|'), 'y');
const ANSI_COLOUR_BEFORE = /\x1b\[[0-9;]*m$/;

/** Every token that starts at a word boundary replaced. */
function redactTokens(text: string): string {
  let out = '';
  let done = 0;
  TOKEN_PREFIX.lastIndex = 0;
  for (let m = TOKEN_PREFIX.exec(text); m !== null; m = TOKEN_PREFIX.exec(text)) {
    // A word character before is no boundary, but the `m` that ends an ANSI colour code is.
    const before = text.charCodeAt(m.index - 1);
    const inWord = isWordChar(before) && !(before === 0x6d && ANSI_COLOUR_BEFORE.test(text.slice(Math.max(0, m.index - 16), m.index)));
    if (m.index < done || inWord) continue;
    TOKEN_AT.lastIndex = m.index;
    if (!TOKEN_AT.test(text)) continue;
    out += text.slice(done, m.index) + REDACTED;
    done = TOKEN_PREFIX.lastIndex = TOKEN_AT.lastIndex;
  }
  return done === 0 ? text : out + text.slice(done);
}

function redactedKeepingQuotes(value: string): string {
  if (value === REDACTED) return value;
  if (value.startsWith('\\"')) return `\\"${REDACTED}\\"`;
  if (value[0] === '"' || value[0] === "'") return value[0] + REDACTED + value[0];
  return REDACTED;
}

/** The values of sensitive keys in `key=value`, `key: value`, `"key": "value"`, `--key=value`, `--key value`. */
function redactKeyValues(rules: Redactor, text: string): string {
  let out = '';
  let done = 0;
  KEY_SEPARATOR.lastIndex = 0;
  for (let m = KEY_SEPARATOR.exec(text); m !== null; m = KEY_SEPARATOR.exec(text)) {
    const found = keyOfSeparator(text, m.index, m[0]);
    if (found === undefined || !isSensitiveKey(rules, found.key)) continue;
    VALUE_AT.lastIndex = found.valueStart;
    const value = VALUE_AT.exec(text)?.[1];
    if (value === undefined) continue;
    out += text.slice(done, VALUE_AT.lastIndex - value.length) + redactedKeepingQuotes(value);
    done = KEY_SEPARATOR.lastIndex = VALUE_AT.lastIndex;
  }
  return done === 0 ? text : out + text.slice(done);
}

/** Every match of the user's patterns, a bounded slice at a time; a pattern over its time budget is dropped. */
function redactUserPatterns(rules: Redactor, text: string): string {
  for (const user of rules.userPatterns) {
    if (user.spentMs > USER_PATTERN_BUDGET_MS) continue;
    let out = '';
    let start = 0;
    while (start < text.length && user.spentMs <= USER_PATTERN_BUDGET_MS) {
      let end = Math.min(text.length, start + USER_PATTERN_SLICE);
      if (end < text.length) {
        const cut = Math.max(text.lastIndexOf('\n', end), text.lastIndexOf(' ', end));
        if (cut > start + USER_PATTERN_SLICE / 2) end = cut;
      }
      const started = Date.now();
      out += text.slice(start, end).replace(user.pattern, REDACTED);
      user.spentMs += Date.now() - started;
      start = end;
    }
    text = out + text.slice(start);
    if (user.spentMs > USER_PATTERN_BUDGET_MS) slowPatterns.push(user.pattern);
  }
  return text;
}

// Patterns dropped for being slow, to be reported by the session as WARNING records.
const slowPatterns: RegExp[] = [];

/**
 * `text` with every secret the rules of §8 find replaced by `[REDACTED]`. With
 * `classes` (the scan's sets the text holds, RULE_CLASSES), only the rules
 * whose matches hold one of them run. Redaction adds none: `[REDACTED]` holds
 * no trigger, so what a rule leaves holds no set the text did not.
 */
function redactWith(rules: Redactor, text: string, classes: number = ALL_CLASSES): string {
  let out = text;
  // A rule runs only where the literal its matches hold is: most records the
  // scan flags hold one secret, and a rule's regex costs more than the search.
  if ((classes & RULE_CLASSES.pem) !== 0 && out.includes('-----BEGIN ')) {
    out = out.replace(PEM_BLOCK, (_m, begin: string, end: string | undefined) => begin + REDACTED + (end ?? ''));
  }
  if ((classes & RULE_CLASSES.keyValues) !== 0) out = redactKeyValues(rules, out);
  if ((classes & RULE_CLASSES.bearer) !== 0) out = redactBearerTokens(out);
  if ((classes & RULE_CLASSES.url) !== 0) out = redactUrlPasswords(out);
  if ((classes & RULE_CLASSES.tokens) !== 0) out = redactTokens(out);
  if ((classes & RULE_CLASSES.mysql) !== 0 && out.includes(' -p')) out = redactMysqlPasswords(out);
  if (rules.userPatterns.length > 0) out = redactUserPatterns(rules, out);
  return out;
}

/**
 * `text` with the secrets that §8 lists replaced by `[REDACTED]`: what the log
 * does to every record. Uses the active session's keys and patterns (the
 * built-in rules alone before `initLogging`, or when redaction is off).
 */
export function redactText(text: string): string {
  return redactWith(redactor ?? DEFAULT_REDACTOR, text);
}
const DEFAULT_REDACTOR = makeRedactor();

/** One formatted JSON record, without its newline, with its secrets redacted. */
function redactJsonRecord(rules: Redactor, body: string): string {
  // A JSON record is redacted in its strings, decoded, so that the rules see
  // the text as logged and the record stays valid JSON.
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return redactWith(rules, body);
  }
  let changed = false;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const redacted = redactWith(rules, value);
      if (redacted !== value) changed = true;
      return redacted;
    }
    if (typeof value === 'object' && value !== null) {
      const container = value as Record<string, unknown>;
      for (const key of Object.keys(container)) container[key] = walk(container[key]);
    }
    return value;
  };
  const redacted = walk(parsed);
  return changed ? JSON.stringify(redacted) : body;
}

/** The index just past the record holding `chunk[i]`, its newline included. */
function recordEnd(chunk: string, i: number): number {
  let end = chunk.indexOf('\n', i);
  while (end >= 0 && chunk.charCodeAt(end + 1) === 0x20) end = chunk.indexOf('\n', end + 1);
  return end < 0 ? chunk.length : end + 1;
}

/**
 * A record without its newline made safe to write: its secrets redacted (unless
 * `rules` is null), its control characters escaped. `classes`: the scan's sets
 * a text record's bytes hold (RULE_CLASSES), when known. No rule matches across
 * the newline, so it is left out.
 */
function cleanBody(rules: Redactor | null, body: string, json: boolean, classes: number = ALL_CLASSES): string {
  if (json) return escapeJsonChunk(rules === null ? body : redactJsonRecord(rules, body));
  const redacted = rules === null ? body : redactWith(rules, body, classes);
  return (classes & RULE_CLASSES.control) !== 0 ? escapeTextChunk(redacted) : redacted;
}

/** A record (its newline included) made safe to write. */
function cleanRecord(rules: Redactor | null, record: string, json: boolean): string {
  if (!record.endsWith('\n')) return cleanBody(rules, record, json);
  const body = record.slice(0, -1);
  const clean = cleanBody(rules, body, json);
  return clean === body ? record : clean + '\n';
}

/** Every record of `chunk` made safe to write, without the scan: for huge chunks, hosts without WebAssembly, and stderr. */
function cleanChunk(rules: Redactor | null, chunk: string, json: boolean): string {
  let out = '';
  let done = 0;
  for (let from = 0; from < chunk.length;) {
    const to = recordEnd(chunk, from);
    const record = chunk.slice(from, to);
    const clean = cleanRecord(rules, record, json);
    if (clean !== record) {
      out += chunk.slice(done, from) + clean;
      done = to;
    }
    from = to;
  }
  return done === 0 ? chunk : out + chunk.slice(done);
}

// ---------------------------------------------------------------------------
// File naming and locations
// ---------------------------------------------------------------------------

const IS_WINDOWS = process.platform === 'win32';
const SEP = IS_WINDOWS ? '\\' : '/';

/**
 * `<prefix>_YYYY-MM-DD_<pid>.log`, with the local calendar date of `date`; with a
 * `sequence` of 2 or more, `<prefix>_YYYY-MM-DD_<pid>-<sequence>.log`, the name a
 * session takes when the plain one is taken (§2). Default prefix `automake`.
 */
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

/**
 * The date, PID and sequence (1 for a plain name, n for `-<n>`) in a session log's
 * name (default prefix `automake`); `undefined` when the name is not one.
 */
export function parseLogFileName(name: string, prefix: string = DEFAULTS.prefix): { date: string; pid: number; sequence: number } | undefined {
  const match = logNamePattern(prefix).exec(name);
  const date = match?.[1];
  return match === null || date === undefined ? undefined : { date, pid: Number(match[2]), sequence: Number(match[3] ?? 1) };
}

function isAbsolutePath(path: string): boolean {
  return IS_WINDOWS ? /^([A-Za-z]:)?[\\/]/.test(path) : path.startsWith('/');
}

/** `path` made absolute against the working directory, with `.` and `..` resolved. */
function absolutePath(path: string): string {
  const full = isAbsolutePath(path) ? path : joinPath(process.cwd(), path);
  if (IS_WINDOWS) return full;
  const parts: string[] = [];
  for (const part of full.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return '/' + parts.join('/');
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith(SEP) ? dir + name : dir + SEP + name;
}

/** The directory `path` is in: `.` for a bare name; the root is its own. */
function parentPath(path: string): string {
  const end = path.length > 1 && (path.endsWith('/') || path.endsWith(SEP)) ? path.length - 1 : path.length;
  const cut = Math.max(path.lastIndexOf('/', end - 1), path.lastIndexOf(SEP, end - 1));
  if (cut < 0) return path === '.' ? path : '.';
  return cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/**
 * The platform's log directory: `$XDG_STATE_HOME/automake/logs` or `~/.local/state/automake/logs`
 * on Linux and others, `~/Library/Logs/automake` on macOS, `%LOCALAPPDATA%\automake\Logs` on Windows.
 * Throws `LoggingSetupError` naming the variable to set when there is no home directory.
 */
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

// ---------------------------------------------------------------------------
// Pruning
// ---------------------------------------------------------------------------

const DAY_MS = 24 * 60 * 60 * 1000;

/** The time a file's age is measured from: `birthtimeMs` when finite and > 0, else `mtimeMs`. */
export function logFileTime(stats: { birthtimeMs?: number; mtimeMs: number }): number {
  const birth = stats.birthtimeMs;
  return typeof birth === 'number' && Number.isFinite(birth) && birth > 0 ? birth : stats.mtimeMs;
}

/**
 * When a log whose age is measured from `fileTimeMs` (its `logFileTime`) turns old
 * at `retentionDays`: once the present is later than this, the pruner deletes it
 * unless its session is still running. `Infinity` when `retentionDays` is.
 */
export function pruneDueTime(fileTimeMs: number, retentionDays: number): number {
  return fileTimeMs + retentionDays * DAY_MS;
}

// PIDs above this do not exist on any platform we know (Linux's pid_max limit is 2^22).
const MAX_PID = 2 ** 22;

/** A file as the kernel knows it, whatever its name: its device and inode. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** What the liveness tests need of a log file: its `fs.Stats`, or these fields of them. */
export interface LogFileStats extends FileIdentity {
  mtimeMs: number;
}

/** Where a session runs (§12): its host and, on Linux, its boot and PID namespace. */
export interface SessionPlace {
  host?: string;
  bootId?: string;
  pidNamespace?: string;
}

// A running session touches its file this often, so that a reader that cannot
// ask about its PID (another container, another host) sees it is alive (§12).
const HEARTBEAT_MS = 30_000;
// A log nobody can ask about by PID has ended once it was untouched this long:
// ten missed heartbeats.
const IDLE_ENDED_MS = 5 * 60_000;

/**
 * Whether the process `pid` in this PID namespace is the session that wrote a log
 * with these stats: it exists and, where the system says when a process started
 * (Linux), it started no later than one second after the file's mtime, or it holds
 * the file open. Without `file`, whether a process with this PID exists. Only
 * meaningful for a log written on this host, boot and PID namespace; for any log,
 * ask `isSessionRunning`.
 */
export function isSessionAlive(pid: number, file?: LogFileStats): boolean {
  return isRunningProcess(pid, file, null);
}

/** `isSessionAlive`, given the PIDs known to exist when the caller has read them (`runningPids`). */
function isRunningProcess(pid: number, file: LogFileStats | undefined, pids: Set<number> | null): boolean {
  // kill(0) would signal our own process group and always succeed.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > MAX_PID) return false;
  if (!(pids === null ? pidExists(pid) : pids.has(pid))) return false;
  if (file === undefined) return true;
  // A session writes its log as it opens it, so it started before the file's
  // mtime; a process that started later only reuses the PID (after a reboot,
  // say), and must not keep an ended session's log for ever.
  const startedMs = processStartMs(pid);
  if (startedMs === undefined || startedMs <= file.mtimeMs + START_SLACK_MS) return true;
  // Unless it holds the file open: a wall clock stepped forward since the
  // session started (a VM resumed) makes every process look younger than it
  // is, and its idle session's log older.
  return holdsOpen(pid, file);
}

/**
 * Whether the session that writes the log at `filePath` (`stats`, its lstat) may
 * still be running, wherever it runs (§12): this process's own file is; a log whose
 * last record is the end record has ended; a log whose header names this host, boot
 * and PID namespace (or this host and neither, as older logs do) runs while its PID
 * does (`isSessionAlive`); any other log, one without a readable header included,
 * runs while it was modified in the last five minutes. Reads the file's first and
 * last bytes, so ask only about logs about to be deleted or shown.
 */
export function isSessionRunning(filePath: string, stats: LogFileStats): boolean {
  return isRunningSession(filePath, stats, null);
}

function isRunningSession(filePath: string, stats: LogFileStats, pids: Set<number> | null): boolean {
  if (isOwnFile(stats)) return true;
  const ends = readLogEnds(filePath, stats);
  // Gone: another process deleted it first, which the caller counts as deleted.
  if (ends === 'gone' || ends?.ended === true) return false;
  const place = ends?.place;
  const here = thisPlace();
  const olderHeader = place?.bootId === undefined && place?.pidNamespace === undefined;
  if (place?.host !== undefined && place.host === here.host
      && (olderHeader || (place.bootId === here.bootId && place.pidNamespace === here.pidNamespace))) {
    return isRunningProcess(pidOfLogName(filePath), stats, pids);
  }
  return Date.now() - stats.mtimeMs < IDLE_ENDED_MS;
}

/** Whether `file` is the log this process is writing: the same device and inode, whatever the name. */
function isOwnFile(file: FileIdentity): boolean {
  const own = active?.identity;
  return own !== undefined && own.dev === file.dev && own.ino === file.ino;
}

let place: SessionPlace | undefined;

/** Where this process runs (§12), read once: host, and on Linux boot ID and PID namespace. */
function thisPlace(): SessionPlace {
  if (place !== undefined) return place;
  const read = (get: () => string): string | undefined => {
    try {
      return get().trim() || undefined;
    } catch {
      // Not Linux, /proc not mounted, or not ours to read (Deno without --allow-read).
      return undefined;
    }
  };
  place = {};
  const host = hostName(process.env);
  const bootId = read(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'latin1'));
  const pidNamespace = read(() => fs.readlinkSync('/proc/self/ns/pid'));
  if (host !== undefined) place.host = host;
  if (bootId !== undefined) place.bootId = bootId;
  if (pidNamespace !== undefined) place.pidNamespace = pidNamespace;
  return place;
}

// The header's fields are looked for in this much of a log's start, and the end
// record in this much of its end: an end record is one short line.
const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 4 * 1024;
// A record's timestamp, `YYYY-MM-DD HH:MM:SS,mmm`, is this long.
const TIMESTAMP_LENGTH = 23;
export const HEADER_MESSAGE = 'Session started';
export const END_MESSAGE = 'Session ended';

/**
 * The place a log's header names and whether its last record is the end record;
 * `gone` when there is no file at the path any more; undefined when it cannot be
 * read or is no longer the file listed.
 */
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
    return { place: firstLine < 0 ? undefined : headerPlace(head.slice(0, firstLine)), ended: endsWithEndRecord(tail) };
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The place a `Session started` record (text or JSON) names; undefined when `line` is none. */
function headerPlace(line: string): SessionPlace | undefined {
  const fields = line.startsWith('{') ? jsonRecordFields(line, HEADER_MESSAGE) : textRecordFields(line, HEADER_MESSAGE);
  if (fields === undefined) return undefined;
  const result: SessionPlace = {};
  for (const key of ['host', 'bootId', 'pidNamespace'] as const) {
    const value = fields[key];
    if (typeof value === 'string') result[key] = value;
  }
  return result;
}

/** Whether the last line of `tail` is a whole end record (a torn last line is not). */
function endsWithEndRecord(tail: string): boolean {
  if (!tail.endsWith('\n')) return false;
  const line = tail.slice(tail.lastIndexOf('\n', tail.length - 2) + 1, -1);
  return (line.startsWith('{') ? jsonRecordFields(line, END_MESSAGE) : textRecordFields(line, END_MESSAGE)) !== undefined;
}

/** The fields of a JSON record of the root logger whose message is `message`; undefined for any other line. */
function jsonRecordFields(line: string, message: string): Record<string, unknown> | undefined {
  try {
    const record: unknown = JSON.parse(line);
    if (!isPlainObject(record) || record['name'] !== DEFAULTS.prefix || record['msg'] !== message) return undefined;
    return record;
  } catch {
    return undefined;
  }
}

/**
 * The ` key=value` fields of a text record of the root logger at INFO whose
 * message is `message` (values quoted as JSON strings are unquoted); undefined
 * for any other line.
 */
function textRecordFields(line: string, message: string): Record<string, string> | undefined {
  const lead = ` - ${DEFAULTS.prefix} - INFO - ${message}`;
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$/.test(line.slice(0, TIMESTAMP_LENGTH)) || !line.startsWith(lead, TIMESTAMP_LENGTH)) return undefined;
  const fields: Record<string, string> = {};
  let at = TIMESTAMP_LENGTH + lead.length;
  while (at < line.length) {
    const equals = line.indexOf('=', at);
    if (line[at] !== ' ' || equals < 0) return undefined;
    let end = equals + 1;
    if (line[end] === '"') {
      do end = line[end] === '\\' ? end + 2 : end + 1;
      while (end < line.length && line[end] !== '"');
      end++;
    } else {
      end = line.indexOf(' ', end);
      if (end < 0) end = line.length;
    }
    const raw = line.slice(equals + 1, end);
    let value = raw;
    try {
      if (raw.startsWith('"')) value = String(JSON.parse(raw));
    } catch {
      // Kept as written: only the place's fields are read, and they are plain words.
    }
    fields[line.slice(at + 1, equals)] = value;
    at = end;
  }
  return fields;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Only ESRCH says the process is gone (EPERM: it runs, as another user). Deno
    // without --allow-run throws NotCapable, which proves nothing: taking it for
    // "ended" deleted running sessions' logs.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

// /proc/PID/stat counts a process's start in clock ticks of USER_HZ, which the
// kernel ABI fixes at 100 on every mainstream architecture (it is what
// sysconf(_SC_CLK_TCK) returns; Node cannot call sysconf).
const CLOCK_TICKS_PER_SECOND = 100;
// /proc/stat gives the boot time in whole seconds, so a start time read from it
// is up to a second early or late.
const START_SLACK_MS = 1000;
let bootTimeMs: number | undefined;

/**
 * When process `pid` (or this one, `self`) started, in epoch ms: /proc/stat `btime`
 * plus field 22 (starttime) of /proc/PID/stat. Undefined where that cannot be read
 * (not Linux, /proc hidden by hidepid or another namespace's, the process just
 * ended): then the PID's existence decides.
 */
function processStartMs(pid: number | 'self'): number | undefined {
  if (process.platform !== 'linux' || (pid !== 'self' && !procShowsOurPids())) return undefined;
  try {
    if (bootTimeMs === undefined) {
      const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'latin1'));
      if (btime === null) return undefined;
      bootTimeMs = Number(btime[1]) * 1000;
    }
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Field 2, the command name, is in parentheses and may itself hold spaces
    // and parentheses: count from the last ")", after which field 3 comes
    // first, so field 22 is the twentieth.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

let procIsOurs: boolean | undefined;

/**
 * Whether /proc shows this PID namespace's processes: a container that mounts
 * the host's /proc, or none, would have us ask about other processes' PIDs.
 */
function procShowsOurPids(): boolean {
  if (procIsOurs === undefined) {
    try {
      procIsOurs = Number(fs.readlinkSync('/proc/self')) === process.pid;
    } catch {
      procIsOurs = false;
    }
  }
  return procIsOurs;
}

/**
 * Whether process `pid` has `file` open, from /proc/PID/fd (Linux). False where
 * that cannot be read (another user's process, unless we are root).
 */
function holdsOpen(pid: number, file: LogFileStats): boolean {
  if (!procShowsOurPids()) return false;
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      // stat follows the fd's magic link to the open file itself.
      const target = fs.statSync(`/proc/${pid}/fd/${fd}`, LSTAT_OPTIONS);
      if (target !== undefined && target.ino === file.ino && target.dev === file.dev) return true;
    } catch {
      // Closed since the listing, or not ours to see.
    }
  }
  return false;
}

/**
 * The PIDs running on this host, read from /proc in one go. Asking kill(pid, 0)
 * for each ended session costs a thrown exception per file, which took as long
 * as the unlinks themselves. Null where /proc may not show every process (not
 * Linux, no /proc, or hidepid hiding PID 1): then each PID is asked with kill.
 */
function runningPids(): Set<number> | null {
  if (process.platform !== 'linux' || !procShowsOurPids()) return null;
  try {
    const pids = new Set<number>();
    for (const name of fs.readdirSync('/proc')) {
      const pid = Number(name);
      if (Number.isSafeInteger(pid) && pid > 0) pids.add(pid);
    }
    return pids.has(1) ? pids : null;
  } catch {
    return null;
  }
}

const LSTAT_OPTIONS = { throwIfNoEntry: false } as const;

/** A log the age rule kept, which the disk budget may still delete if its session has ended. */
interface KeptLog {
  file: string;
  time: number;
  size: number;
  stats: LogFileStats;
}

/**
 * Deletes the logs of ended sessions older than `retentionDays` (default 7) in `dir`;
 * then, given `maxTotalBytes` or `minFreeBytes`, the oldest ended sessions' logs
 * while the logs add up to more, or the file system has less free (§6).
 * Synchronous; never throws for one file: ENOENT means another session pruned it
 * first, other errors are reported and the next file is tried. A missing directory
 * gives an empty report.
 */
export function pruneOldLogs(dir: string, options: PruneOptions = {}): PruneReport {
  const retentionDays = checkRetentionDays(options.retentionDays ?? DEFAULTS.retentionDays, '"retentionDays"');
  const pattern = logNamePattern(options.prefix ?? DEFAULTS.prefix);
  const now = options.now ?? Date.now();
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`"now" must be a time in epoch milliseconds: received ${describe(now)}`);
  const budget = {
    maxTotalBytes: checkSize(options.maxTotalBytes ?? Infinity, '"maxTotalBytes"'),
    minFreeBytes: checkSize(options.minFreeBytes ?? 0, '"minFreeBytes"'),
  };
  const hasBudget = budget.maxTotalBytes !== Infinity || budget.minFreeBytes > 0;
  const dryRun = options.dryRun === true;
  const report: PruneReport = { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 };

  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') report.errors.push({ file: dir, code, message: errorMessage(error) });
    return report;
  }
  // Read when first needed: a prune that deletes nothing needs none.
  let running: Set<number> | null | undefined;
  /** Rule 4, the one test of a running session (§12), for the age rule and the budget alike. */
  const isRunning = (file: string, stats: LogFileStats): boolean => {
    if (running === undefined) running = runningPids();
    return isRunningSession(file, stats, running);
  };
  /** Deletes one log; true when it is gone, by our hand (reported) or by another process's first. */
  const remove = (file: string, size: number): boolean => {
    try {
      if (!dryRun) fs.unlinkSync(file);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return true;
      report.errors.push({ file, code, message: errorMessage(error) });
      return false;
    }
    report.deleted.push(file);
    report.deletedBytes += size;
    return true;
  };
  const dirPrefix = joinPath(dir, '');
  let undeletableBytes = 0;
  for (const name of names) {
    // test, not exec: the PID is read from the name only for an old log.
    if (!pattern.test(name)) continue;
    const file = dirPrefix + name;
    let stats: fs.Stats | undefined;
    try {
      // lstat: a symlink is judged (and left) as a link, never followed.
      stats = fs.lstatSync(file, LSTAT_OPTIONS);
    } catch (error) {
      report.errors.push({ file, code: errorCode(error), message: errorMessage(error) });
      continue;
    }
    if (stats === undefined || !stats.isFile()) continue;
    // Old when strictly older than the retention; a time in the future is never old.
    if (now > pruneDueTime(logFileTime(stats), retentionDays) && !isRunning(file, stats)) {
      // One that could not be deleted still takes its room.
      if (!remove(file, stats.size)) {
        report.totalBytes += stats.size;
        undeletableBytes += stats.size;
      }
      continue;
    }
    report.kept++;
    report.totalBytes += stats.size;
  }
  // Listed again, when over budget: the logs as they are now (other processes
  // may be pruning too), but those the age rule could not delete, which stay
  // out of the budget's reach and in its total.
  const listKept = () => {
    const logs = keptLogs(dirPrefix, names, pattern, new Set(report.errors.map((error) => error.file)));
    report.kept = logs.length;
    report.totalBytes = undeletableBytes + logs.reduce((sum, log) => sum + log.size, 0);
    return logs;
  };
  if (hasBudget) applyDiskBudget(dir, listKept, budget, report, isRunning, remove, dryRun);
  return report;
}

/** The PID in a log's name or path the log name pattern matched: after its last `_`, before `-<n>` or `.log`. */
function pidOfLogName(name: string): number {
  return parseInt(name.slice(name.lastIndexOf('_') + 1), 10);
}

/**
 * The logs left after the age rule, for the budget, which needs them only when
 * the directory is over it: they are listed again then (the logs the age rule
 * deleted are gone) rather than kept from the scan, which would cost every
 * startup two objects a log for the rare one that needs them.
 */
function keptLogs(dirPrefix: string, names: string[], pattern: RegExp, skipped: Set<string>): KeptLog[] {
  const kept: KeptLog[] = [];
  for (const name of names) {
    if (!pattern.test(name)) continue;
    const file = dirPrefix + name;
    if (skipped.has(file)) continue;
    let stats: fs.Stats | undefined;
    try {
      stats = fs.lstatSync(file, LSTAT_OPTIONS);
    } catch {
      // Reported by the scan, if it was there; gone or unreadable now: not the budget's to delete.
      continue;
    }
    if (stats === undefined || !stats.isFile()) continue;
    kept.push({ file, time: logFileTime(stats), size: stats.size, stats });
  }
  return kept;
}

/**
 * Rule 6, the disk budget (§6): deletes the oldest ended sessions' logs while
 * the logs add up to more than `maxTotalBytes` or the file system has less than
 * `minFreeBytes` free. A log another process deleted first counts as gone, so
 * processes starting together delete no more between them than one would.
 */
function applyDiskBudget(
  dir: string,
  listLogs: () => KeptLog[],
  budget: { maxTotalBytes: number; minFreeBytes: number },
  report: PruneReport,
  isRunning: (file: string, stats: LogFileStats) => boolean,
  remove: (file: string, size: number) => boolean,
  dryRun: boolean,
): void {
  // Where free space cannot be measured, the free-space rule holds.
  let free = budget.minFreeBytes > 0 ? fileSystemSpace(dir)?.free ?? Infinity : Infinity;
  const overBudget = () => report.totalBytes > budget.maxTotalBytes || free < budget.minFreeBytes;
  if (!overBudget()) return;
  // The list also counts the logs again (see pruneOldLogs): what others deleted since the scan is gone from the total.
  const logs = listLogs().sort((a, b) => a.time - b.time || (a.file < b.file ? -1 : 1));
  for (const log of logs) {
    if (!overBudget()) return;
    if (isRunning(log.file, log.stats) || !remove(log.file, log.size)) continue;
    report.kept--;
    report.totalBytes -= log.size;
    // Measured again rather than added up: other processes may be deleting too.
    if (free < budget.minFreeBytes) free = dryRun ? free + log.size : fileSystemSpace(dir)?.free ?? Infinity;
  }
}

// ---------------------------------------------------------------------------
// Opening the session's file
// ---------------------------------------------------------------------------

/**
 * Creates the log directory (0700 when new) and checks that no other user can
 * plant, replace or delete files in it (docs/design.md §7): the directory it
 * really is, symlinks followed, must be owned by us or root and not writable by
 * others, sticky bit or not. Throws `LoggingSetupError` naming the fix. Returns
 * the absolute path and, for a group-writable directory (used), a warning to log.
 */
function prepareLogDirectory(dir: string): { dir: string; warning?: string } {
  const absoluteDir = absolutePath(dir);
  try {
    fs.mkdirSync(absoluteDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new LoggingSetupError(`Cannot create log directory ${absoluteDir}: ${errorMessage(error)}`, absoluteDir, error);
  }
  // Windows has no such mode bits, and its ACLs are not checked.
  if (IS_WINDOWS) return { dir: absoluteDir };
  let stats: fs.Stats;
  try {
    // stat follows every symlink to the real directory; its path (realpath) is
    // only looked up to name it in a message, which keeps startup cheap.
    stats = fs.statSync(absoluteDir);
  } catch (error) {
    throw new LoggingSetupError(`Cannot use log directory ${absoluteDir}: ${errorMessage(error)}`, absoluteDir, error);
  }
  const foreign = stats.uid !== effectiveUid(stats.uid) && stats.uid !== 0;
  const mode = stats.mode & 0o7777;
  if (stats.isDirectory() && !foreign && (mode & 0o022) === 0) return { dir: absoluteDir };
  const realDir = realPath(absoluteDir);
  const named = realDir === absoluteDir ? absoluteDir : `${absoluteDir} (${realDir})`;
  const modeText = mode.toString(8).padStart(4, '0');
  if (!stats.isDirectory()) {
    throw new LoggingSetupError(`Cannot use log directory ${named}: it is not a directory`, absoluteDir);
  }
  if (foreign) {
    throw new LoggingSetupError(
      `Unsafe log directory ${named}: it belongs to another user (uid ${stats.uid}), who could read or replace the logs; set ${ENV_VARIABLES.dir} to a directory of your own`,
      absoluteDir,
    );
  }
  if ((mode & 0o002) !== 0) {
    throw new LoggingSetupError(
      `Unsafe log directory ${named}: other users can write to it (mode ${modeText}) and plant files at a session's name; run \`chmod o-w ${realDir}\` or set ${ENV_VARIABLES.dir} to another directory`,
      absoluteDir,
    );
  }
  return { dir: absoluteDir, warning: `Log directory ${named} is writable by its group (mode ${modeText}): its members can plant or delete logs; run \`chmod g-w ${realDir}\` to prevent it` };
}

/** The path with every symlink resolved, or the path itself when that fails. */
function realPath(path: string): string {
  try {
    return fs.realpathSync(path);
  } catch {
    return path;
  }
}

/** This process's effective user ID; `fallback` where there is none (Windows) or it may not be asked. */
function effectiveUid(fallback: number): number {
  try {
    return typeof process.geteuid === 'function' ? process.geteuid() : fallback;
  } catch {
    // Deno without --allow-sys throws NotCapable: the owner goes unchecked there.
    return fallback;
  }
}

// How many names a session tries (`_<pid>.log`, then `-2` … `-1000`) before it
// gives up: more taken than that is no reused PID but something planted.
const MAX_NAME_SEQUENCE = 1000;

/**
 * Creates this session's file in `dir`: `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600, so
 * that nothing already at a name (an earlier session whose PID was reused, a live
 * session with the same PID in another container, a planted file, link or FIFO)
 * is ever opened, written, truncated or re-moded. When the plain name is taken, the
 * first free `-<n>` name (§2, §12). Throws `LoggingSetupError` when no name can be had.
 */
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
      throw cannotOpen(filePath, error);
    }
    const { dev, ino } = fs.fstatSync(fd);
    return { fd, filePath, identity: { dev, ino } };
  }
  const last = joinPath(dir, logFileName(date, pid, prefix, MAX_NAME_SEQUENCE));
  throw new LoggingSetupError(`Cannot create a log file: ${joinPath(dir, logFileName(date, pid, prefix))} up to ${last} are all taken; remove what is there or set ${ENV_VARIABLES.dir} to another directory`, last);
}

function cannotOpen(filePath: string, error: unknown): LoggingSetupError {
  const why = errorCode(error) === 'ELOOP' ? 'it is a symbolic link, which is never followed' : errorMessage(error);
  return new LoggingSetupError(`Cannot open log file ${filePath}: ${why}`, filePath, error);
}

// ---------------------------------------------------------------------------
// The writer
// ---------------------------------------------------------------------------

// Records are gathered into one string. What a tick leaves goes to the stream;
// a string that reaches this many characters within one tick (the stream's
// callbacks cannot run until it ends) is written synchronously, once the chunk
// in flight has landed. So a tight loop costs one write per 64 KiB, like a
// batched writeSync, and the string never grows long enough for its
// concatenation tree to weigh much.
const CHUNK_CHARS = 64 * 1024;
// While a chunk in flight has not landed (the disk is behind), full chunks are
// queued as Buffers, which weigh their length. Past this many bytes queued the
// caller blocks and writes synchronously rather than queue more, and nothing is
// dropped.
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
// A write in flight that makes no progress this long is presumed failed (the
// disk is full, the file was truncated), so exit cannot hang on it.
const INFLIGHT_STALL_MS = 1000;
// Chunks are encoded into this one reused buffer: allocating a fresh Buffer for
// every chunk made the GC run far more often. It holds a full chunk even when
// every character takes 3 bytes of UTF-8.
const SCRATCH_BYTES = 3 * (CHUNK_CHARS + 16 * 1024);

// The chunk scan: one pass over a chunk's UTF-8 bytes, 32 at a time, in
// WebAssembly SIMD. Each byte is classified by two table lookups (its low and
// its high nibble), which gives three sets of flags: "single" (the byte alone
// is of interest), "first" and "second" (a pair of adjacent bytes is). A chunk
// with no single and no pair needs neither escaping nor redaction, and goes
// out as it was encoded. The tables are built from TRIGGERS below; a byte set
// that is not a product of a low-nibble set and a high-nibble set is widened
// to the smallest one that is, which can only flag more, never less.
//
// Beside it, `newlines` counts a chunk's newlines (see ChunkEncoder.encode),
// and `expand` builds the records of Logger.lines from bytes (§10): a
// head, then a line, for every line of a block of plain ASCII, 16 bytes at a
// time, refusing (-1) any byte that is not plain so that such blocks take the
// string path, which escapes and redacts them.
//
// A 1,478-byte module, built with `wat2wasm` from scripts/wasm/chunk.wat, which
// has the source of every function (tests/wasm.test.ts checks this is its build).
// Memory: the tables at 0..95, the scratch buffer from 96, then a head and a
// block of lines for `expand` (EXPAND_HEAD, EXPAND_INPUT).
const CHUNK_WASM = 'AGFzbQEAAAABGgNgAn9/AX9gBX9/f39/AX9gBn9/f39/fwF/AwgHAAAAAAABAgUDAQAGBy8FBm1lbW9yeQIACG5ld2xpbmVzAAAEc2NhbgABB2ZsYWdnZWQABQZleHBhbmQABgrfCgdGAgN/AXtBCv0PIQUgAEHgAGohAiABQeAAaiEDAkADQCACIANPDQEgBCAC/QAEACAF/SP9ZGlqIQQgAkEQaiECDAALCyAEC74CAgJ/DXtBAP0ABAAhCkEQ/QAEACELQSD9AAQAIQxBMP0ABAAhDUHAAP0ABAAhDkHQAP0ABAAhD0EP/Q8hECAAQeAAaiECIAFB4ABqIQMCQANAIAIgA08NASAC/QAEACEEIAQgEP1OIQUgBEEE/Y0BIBD9TiEGIAogBf0OIAsgBv0O/U4hByAHIAj9DR8AAQIDBAUGBwgJCgsMDQ4gDCAF/Q4gDSAG/Q79Tv1OIA4gBf0OIA8gBv0O/U79UCEJIAL9AAQQIQQgBCAQ/U4hBSAEQQT9jQEgEP1OIQYgCiAF/Q4gCyAG/Q79TiEIIAkgCCAH/Q0fAAECAwQFBgcICQoLDA0OIAwgBf0OIA0gBv0O/U79TiAOIAX9DiAPIAb9Dv1O/VD9UP1TBEAgAkHgAGsPCyACQSBqIQIMAAsLQX8L/wICAn8Je0EP/Q8hCyAAQeAAaiECIAFB4ABqIQMCQANAIAIgA08NASAC/QAEACEEIAQgC/1OIQUgBEEE/Y0BIAv9TiEGQQD9AAQAIAX9DkEQ/QAEACAG/Q79TiEH/QwAAQIDBAUGBwgJCgsMDQ4PIAMgAmtBECADIAJrQRBJG/0P/SYhDCAJIAwgByAI/Q0fAAECAwQFBgcICQoLDA0OQSD9AAQAIAX9DkEw/QAEACAG/Q79Tv1O/U79UCEJIAogDEHAAP0ABAAgBf0OQdAA/QAEACAG/Q79Tv1O/VAhCiAHIQggAkEQaiECDAALCyAKIAn9DQABAgMEBQYHEBESExQVFhcgCiAJ/Q0ICQoLDA0ODxgZGhscHR4f/VAhBCAEIAQgBP0NBAUGBwAAAAAMDQ4PAAAAAP1QIQQgBCAEIAT9DQIDAAAAAAAACgsAAAAAAAD9UCEEIAQgBCAE/Q0BAAAAAAAAAAkAAAAAAAAA/VAhBCAE/RYAIAT9FghBCHRyCzEAAkADQCAAIAFNDQEgAC0AX0EKRiAALQBgQSBHcQRAIAAPCyAAQQFrIQAMAAsLIAELNAACQANAIAAgAU8NASAALQBgQQpGIAAtAGFBIEdxBEAgAEEBag8LIABBAWohAAwACwsgAQueAQEEfwNAIAAgAU8EQEF/DwsgAwRAIAAhBSABIQcFIAJBAEgEQCAAIAEQASECCyACQQBIBEBBfw8LIAJBAWsgACACIABLGyAAEAMhBSACQSBqIQdBfyECCwNAIAUgARAEIQYgBSAGEAIhCCADIAhyBEAgBCAGNgIAIAQgCDYCBCAFDwsgBiEFIAUgB0kgBSABSXENAAsgBSEADAALQX8LzQIFA38BewN/CHsBf0Eg/Q8hDUH+AP0PIQ5BCf0PIQ9BCv0PIRAgAP0ABAAhESAA/QAEECESIAD9AAQgIRMgAP0ABDAhFCABQcAATSEVIAIgA2ohBiAEIQcgBCAFaiEIA0AgByABakHQAGogCEsEQEF+DwsgFQRAIAcgEf0LBAAgByAS/QsEECAHIBP9CwQgIAcgFP0LBDAFIAcgACAB/AoAAAsgByABaiEHA0AgB0EQaiAISwRAQX4PCyAC/QAEACEJIAcgCf0LBAAgCSAQ/SP9ZCEKIAkgDf0mIAkgD/0jIAkgEP0j/VD9TyAJIA79KP1Q/WQhCyAKRQRAIAsEQEF/DwsgAkEQaiECIAdBEGohBwwBCyAKaCEMIAtBASAMdEEBa3EEQEF/DwsgDEEBaiEMIAIgDGohAiAHIAxqIQcLIAIgBk0NAAsgByAEaws=';
const SCAN_TABLES_BYTES = 96;
const SCAN_BLOCK = 32;

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const byteRange = (from: number, to: number) => String.fromCharCode(...Array.from({ length: to - from + 1 }, (_, i) => from + i));
// Control characters to escape (design §2): C0 but tab and newline, DEL, and
// 0xC2, the lead byte of U+0080..U+00BF where the C1 controls are. In four
// sets, as a set must be a product of low and high nibbles not to flag tab and newline.
const CONTROL_BYTES = [byteRange(0x00, 0x08) + byteRange(0x0b, 0x0f), byteRange(0x10, 0x1f), '\x7f', '\xc2'];
/**
 * What the scan flags for redaction. Every match of a built-in rule of §8 holds
 * one of these, so a chunk without any needs no rule run on it (tests/redact.test.ts
 * proves it rule by rule); ordinary records hold none. Pairs are a byte of the
 * first string followed by a byte of the second.
 */
const TRIGGERS = {
  singles: ['=', '_'], // `key=value`, `--key=value`; `ghp_`, `github_pat_`, `npm_`, `hf_`
  pairs: [
    [':', ' /'], // `key: value`, `Authorization: `; `scheme://user:password@`
    ['-', LETTERS], // `--key value`, `-p<password>`, `-----BEGIN`
    [LETTERS, '-'], // `sk-`, `glpat-`, `xoxb-`
    ['Iy', 'AJqz'], // `AKIA`, `ASIA`, `AIza`, `eyJ`
    ['B', 'e'], // `Bearer`
    ["'", ':'], // `'key':`, in a text or a JSON record alike
  ] as [string, string][],
  // `"key":`; in a JSON record a quote in a message is escaped, and every field has `":`.
  quotedKey: { text: ['"', ':'], json: ['\\', '"'] } as Record<LogFormat, [string, string]>,
};

/** The scan's six nibble tables for a format, with or without the triggers of redaction. */
function scanTables(format: LogFormat, redact: boolean): Uint8Array {
  const tables = new Uint8Array(SCAN_TABLES_BYTES);
  const mark = (bytes: string, table: number, bit: number) => {
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.charCodeAt(i);
      const low = table + (b & 15);
      const high = table + 16 + (b >> 4);
      tables[low] = tables[low]! | bit;
      tables[high] = tables[high]! | bit;
    }
  };
  // Each set gets a bit of its own, so that one set's low nibbles do not pair with another's high ones.
  const singles = redact ? [...CONTROL_BYTES, ...TRIGGERS.singles] : CONTROL_BYTES;
  singles.forEach((bytes, k) => mark(bytes, 64, 1 << k));
  if (redact) {
    [...TRIGGERS.pairs, TRIGGERS.quotedKey[format]].forEach(([first, second], k) => {
      mark(first, 0, 1 << k);
      mark(second, 32, 1 << k);
    });
  }
  return tables;
}

// The sets of the scan each rule's matches hold one of, as bits of what the
// module's `classes` returns for a record: singles in bits 0-7, in the order
// of scanTables; pairs in bits 8-15. A rule whose sets a record lacks cannot
// match in it, and is not run; nor is escaping without a control byte.
const singleClass = (bytes: string) => 1 << (CONTROL_BYTES.length + TRIGGERS.singles.indexOf(bytes));
const pairClass = (first: string) => 1 << (8 + TRIGGERS.pairs.findIndex(([pairFirst]) => pairFirst === first));
const RULE_CLASSES = {
  control: (1 << CONTROL_BYTES.length) - 1,
  pem: pairClass('-'), // `-----BEGIN`
  keyValues: singleClass('=') | pairClass(':') | pairClass('-') | pairClass("'") | (1 << (8 + TRIGGERS.pairs.length)),
  bearer: pairClass('B'),
  url: pairClass(':'),
  tokens: singleClass('_') | pairClass(LETTERS) | pairClass('Iy'),
  mysql: pairClass('-'),
};
const ALL_CLASSES = -1;

// The little of WebAssembly used here, declared locally: @types/node does not
// declare it, and a global declaration would clash in projects using the DOM lib.
type ScanFunction = (from: number, length: number) => number;
type FlaggedFunction = (from: number, length: number, block: number, every: number, slot: number) => number;
type ExpandFunction = (head: number, headLength: number, input: number, inputLength: number, output: number, outputCapacity: number) => number;
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => {
    exports: { memory: { buffer: ArrayBuffer; grow(pages: number): number }; scan: ScanFunction; newlines: ScanFunction; flagged: FlaggedFunction; expand: ExpandFunction };
  };
}

// The rest of the module's memory, after the scratch buffer: the head and the
// lines `expand` reads, and two batches it writes blocks of records into, each
// with room for the scan's padding after it.
// Where `flagged` writes the end and the sets of the record it found.
const RECORD_SLOT = SCAN_TABLES_BYTES + SCRATCH_BYTES + SCAN_BLOCK;
const EXPAND_HEAD = RECORD_SLOT + 16;
const EXPAND_HEAD_BYTES = 1024;
const EXPAND_INPUT = EXPAND_HEAD + EXPAND_HEAD_BYTES;
const EXPAND_INPUT_BYTES = 128 * 1024;
// After the lines: the scan's padding, or their closing newline and the 16 bytes the last load may read past it.
const BATCHES = EXPAND_INPUT + EXPAND_INPUT_BYTES + SCAN_BLOCK;
const BATCH_BYTES = 4 * 1024 * 1024;
const WASM_PAGES = Math.ceil((BATCHES + 2 * (BATCH_BYTES + SCAN_BLOCK)) / 65536);

interface ChunkScanner {
  /** The module's whole memory. */
  memory: Buffer;
  /** The scratch buffer within it: SCRATCH_BYTES, plus the scan's padding. */
  scratch: Buffer;
  scan: ScanFunction;
  newlines: ScanFunction;
  /** The next record holding a set of the scan: its start; its end and its sets (RULE_CLASSES) at RECORD_SLOT. */
  flagged: FlaggedFunction;
  /** The end and the sets of the record `flagged` found. */
  record: Int32Array;
  expand: ExpandFunction;
}

/** Whether the scan flags nothing in the `length` bytes at `at` of the module's memory; it writes its padding after them. */
function scanClean(scanner: ChunkScanner, at: number, length: number): boolean {
  scanner.memory.fill(0x20, at + length, at + length + SCAN_BLOCK);
  // The scan counts from the scratch buffer's start.
  return scanner.scan(at - SCAN_TABLES_BYTES, at - SCAN_TABLES_BYTES + length) < 0;
}

/** The chunk scanner; null where WebAssembly is unavailable. */
function loadChunkScanner(tables: Uint8Array): ChunkScanner | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm === undefined) return null;
    const { exports } = new wasm.Instance(new wasm.Module(Buffer.from(CHUNK_WASM, 'base64')));
    // Grown once, here: a later growth would detach every view of the memory.
    exports.memory.grow(WASM_PAGES - exports.memory.buffer.byteLength / 65536);
    const memory = Buffer.from(exports.memory.buffer);
    memory.set(tables);
    const scratch = memory.subarray(SCAN_TABLES_BYTES, SCAN_TABLES_BYTES + SCRATCH_BYTES + SCAN_BLOCK);
    const record = new Int32Array(exports.memory.buffer, RECORD_SLOT, 2);
    return { memory, scratch, scan: exports.scan, newlines: exports.newlines, flagged: exports.flagged, record, expand: exports.expand };
  } catch {
    // node --jitless, or a host without WebAssembly SIMD: every chunk takes the slow path.
    return null;
  }
}

// Logger.lines' blocks of bytes smaller than this join the pending records as
// text, so that many small calls still share one write; larger ones are encoded
// straight from their bytes and written as a chunk of their own.
const FAST_LINES_MIN_BYTES = 4096;

/** How many lines `bytes` holds: one more than its newlines. */
function countLines(bytes: Uint8Array): number {
  let count = 1;
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}

function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/**
 * Turns a chunk of records into UTF-8 with secrets redacted (§8) and control
 * characters escaped (§2). Running a dozen rules over every record would cost
 * more than the rest of logging; one SIMD scan of the encoded bytes finds the
 * few places where a rule could match or a control character is, and only the
 * records around them are looked at and, when they change, written anew among
 * the bytes of the others. A chunk with none goes out as it was encoded.
 */
class ChunkEncoder {
  private readonly json: boolean;
  private readonly rules: Redactor | null;
  // Made at the first chunk, so that initLogging does not pay for compiling.
  private scratch: Buffer | null = null;
  private scanner: ChunkScanner | null = null;
  // Where a chunk with records written anew is assembled; grown when they make it longer.
  private output: Buffer | null = null;
  /** How many records the last encodeLines made. */
  linesEncoded = 0;

  constructor(format: LogFormat, rules: Redactor | null) {
    this.json = format === 'json';
    this.rules = rules;
  }

  /** How many bytes `text` takes once made safe and encoded; leaves the scratch buffer alone. */
  byteLength(text: string): number {
    return Buffer.byteLength(cleanChunk(this.rules, text, this.json), 'utf8');
  }

  /**
   * The chunk's bytes: a view of a reused buffer, valid until the next call, or a
   * new Buffer for a huge chunk. `lines` says where the text records are whose
   * message was not looked at for newlines, and how many newlines the chunk
   * holds if none has any (see LineCheck).
   */
  encode(chunk: string, lines: LineCheck): Buffer {
    const scratch = this.scratch ?? this.load();
    const scanner = this.scanner;
    if (chunk.length * 3 > SCRATCH_BYTES || scanner === null) return this.encodeAll(indentNewlines(chunk, lines.unchecked), scratch);
    let length = scratch.write(chunk, 0, 'utf8');
    scratch.fill(0x20, length, length + SCAN_BLOCK);
    // One count of the chunk's newlines instead of a search of every message: a
    // message with a newline makes one more, and only then are they looked at.
    if (lines.unchecked.length > 0 && scanner.newlines(0, length) !== lines.newlines) {
      chunk = indentNewlines(chunk, lines.unchecked);
      if (chunk.length * 3 > SCRATCH_BYTES) return this.encodeAll(chunk, scratch);
      length = scratch.write(chunk, 0, 'utf8');
      scratch.fill(0x20, length, length + SCAN_BLOCK);
    }
    // User patterns can match anything: with some, every record is looked at.
    const everyRecord = this.rules !== null && this.rules.userPatterns.length > 0;
    const first = everyRecord ? 0 : scanner.scan(0, length);
    if (first < 0) return scratch.subarray(0, length);
    return this.cleanFlagged(chunk, length, first, everyRecord);
  }

  /** Without the scan (no WebAssembly, or a chunk too big for the scratch buffer): every record made safe. */
  private encodeAll(chunk: string, scratch: Buffer): Buffer {
    const clean = this.cleanAll(chunk);
    return clean.length * 3 > SCRATCH_BYTES ? Buffer.from(clean, 'utf8') : scratch.subarray(0, scratch.write(clean, 0, 'utf8'));
  }

  /** Compiles the scanner, or makes a plain scratch buffer without one; returns the scratch buffer. */
  private load(): Buffer {
    this.scanner = loadChunkScanner(scanTables(this.json ? 'json' : 'text', this.rules !== null));
    this.scratch = this.scanner?.scratch ?? Buffer.allocUnsafe(SCRATCH_BYTES);
    return this.scratch;
  }

  /**
   * Logger.lines' fast path: each line of `lines` (UTF-8, joined by newlines) as
   * a text record `head` + line, written into batch `batch` (0 or 1) from byte
   * `at`. Returns how many bytes; -1 when the block needs the string path (a byte
   * that is not plain ASCII, anything the scan flags for redaction, JSON, user
   * patterns, no WebAssembly, a block or head too big); -2 when the rest of the
   * batch is too small. Nothing is written anywhere else.
   */
  encodeLines(head: string, lines: Uint8Array, batch: number, at: number): number {
    if (this.json || (this.rules !== null && this.rules.userPatterns.length > 0)) return -1;
    if (lines.length > EXPAND_INPUT_BYTES || head.length * 3 + SCAN_BLOCK > EXPAND_HEAD_BYTES) return -1;
    if (this.scratch === null) this.load();
    const scanner = this.scanner;
    if (scanner === null) return -1;
    const { memory } = scanner;
    // The head and the lines are scanned apart, before any record is made:
    // no trigger of the scan has a newline in it, and a head ends with a space,
    // which begins none, so no trigger spans a line and its head.
    const headLength = memory.write(head, EXPAND_HEAD, 'utf8');
    if (!scanClean(scanner, EXPAND_HEAD, headLength)) return -1;
    memory.set(lines, EXPAND_INPUT);
    if (!scanClean(scanner, EXPAND_INPUT, lines.length)) return -1;
    memory[EXPAND_INPUT + lines.length] = 0x0a;
    const into = BATCHES + batch * (BATCH_BYTES + SCAN_BLOCK) + at;
    const length = scanner.expand(EXPAND_HEAD, headLength, EXPAND_INPUT, lines.length, into, BATCH_BYTES - at);
    if (length < 0) return length;
    // Each line took the head and its newline; the lines' own bytes, with their newlines, are the rest.
    this.linesEncoded = (length - lines.length - 1) / headLength;
    return length;
  }

  /** Bytes `from` to `to` of batch `batch`, as encodeLines wrote them. */
  batchBytes(batch: number, from: number, to: number): Buffer {
    const start = BATCHES + batch * (BATCH_BYTES + SCAN_BLOCK);
    return this.scanner!.memory.subarray(start + from, start + to);
  }

  private cleanAll(chunk: string): string {
    return this.withSlowPatternWarnings(cleanChunk(this.rules, chunk, this.json));
  }

  /**
   * Each record the scan flags (or every one), made safe; the module's `flagged`
   * finds them, with the sets each holds. It counts bytes, the string UTF-16
   * units: the same when the chunk is ASCII; otherwise the text between two
   * places is measured to convert.
   */
  private cleanFlagged(chunk: string, length: number, first: number, everyRecord: boolean): Buffer {
    const scratch = this.scratch!;
    const scanner = this.scanner!;
    const ascii = length === chunk.length;
    const charsBetween = (from: number, to: number) => (ascii ? to - from : scratch.toString('utf8', from, to).length);
    // Bytes of the scratch copied to the output up to here; its place in the output.
    let copied = 0;
    let written = 0;
    // A record's end, known in both units.
    let byte = 0;
    let char = 0;
    const every = everyRecord ? 1 : 0;
    for (let start = scanner.flagged(0, length, first, every, RECORD_SLOT); start >= 0; start = scanner.flagged(byte, length, -1, every, RECORD_SLOT)) {
      const end = scanner.record[0]!;
      // A JSON record is redacted in its decoded strings, whose sets its bytes do not show.
      const classes = this.json ? ALL_CLASSES : scanner.record[1]!;
      const startChar = char + charsBetween(byte, start);
      const endChar = startChar + charsBetween(start, end);
      const newline = chunk.charCodeAt(endChar - 1) === 0x0a;
      const body = chunk.slice(startChar, newline ? endChar - 1 : endChar);
      const clean = cleanBody(this.rules, body, this.json, classes);
      if (clean !== body) {
        written = this.copyToOutput(scratch, copied, start, written);
        written = this.writeToOutput(clean, written);
        if (newline) this.output![written++] = 0x0a;
        copied = end;
      }
      byte = end;
      char = endChar;
    }
    if (copied === 0) return scratch.subarray(0, length);
    written = this.copyToOutput(scratch, copied, length, written);
    return this.withSlowPatternWarningsBytes(written);
  }

  private ensureOutput(needed: number, written: number): Buffer {
    if (this.output === null || this.output.length < needed) {
      const grown = Buffer.allocUnsafe(Math.max(needed, 2 * SCRATCH_BYTES));
      if (this.output !== null) this.output.copy(grown, 0, 0, written);
      this.output = grown;
    }
    return this.output;
  }

  private copyToOutput(scratch: Buffer, from: number, to: number, written: number): number {
    return written + scratch.copy(this.ensureOutput(written + to - from, written), written, from, to);
  }

  private writeToOutput(text: string, written: number): number {
    // With room for a newline after it.
    return written + this.ensureOutput(written + text.length * 3 + 1, written).write(text, written, 'utf8');
  }

  /** The output's first `written` bytes, followed by WARNING records about user patterns dropped since the last chunk. */
  private withSlowPatternWarningsBytes(written: number): Buffer {
    const warnings = this.withSlowPatternWarnings('');
    if (warnings !== '') written = this.writeToOutput(warnings, written);
    return this.output!.subarray(0, written);
  }

  /** After a user pattern was dropped for being slow, a WARNING record saying so follows the chunk. */
  private withSlowPatternWarnings(chunk: string): string {
    if (slowPatterns.length === 0) return chunk;
    let text = chunk;
    const prefixes = (getLogger() as LoggerImpl).prefixes;
    for (const pattern of slowPatterns.splice(0)) {
      const message = `Redaction pattern ${String(pattern)} took more than ${USER_PATTERN_BUDGET_MS} ms in all and is no longer applied`;
      text += (this.json ? formatJsonRecord : formatTextRecord)(Date.now(), LEVEL_VALUES.WARNING, prefixes, message, undefined);
    }
    return text;
  }
}

/** Whether `next` starts where `chunk` ends, in the same memory. */
function follows(chunk: Buffer, next: Buffer): boolean {
  return next.buffer === chunk.buffer && next.byteOffset === chunk.byteOffset + chunk.length;
}

/** A chunk of whole records of which only the first `written` bytes reached the file. */
interface TornChunk {
  bytes: Buffer;
  length: number;
  written: number;
  records: number;
}

// Past maxSessionBytes, ERROR and CRITICAL records and the session's own
// records still land, until the file is this much bigger: then nothing does.
const SIZE_LIMIT_MARGIN = MIB;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/**
 * Appends records to the session's file, one chunk at a time: with `fs.write`
 * on Node's thread pool, or with `fs.writeSync`. One write at a time, and the
 * queue is ours, so we always know what is in flight: a synchronous flush waits
 * for that one chunk to land and then writes the rest itself, in order.
 */
class LogWriter {
  readonly filePath: string;
  dropped = 0;
  private readonly fd: number;
  private readonly encoder: ChunkEncoder;
  // Records not yet handed on, newest last; their newline check (LineCheck).
  private pending = '';
  private pendingRecords = 0;
  private pendingNewlines = 0;
  private unchecked: Int32Array = new Int32Array(2048);
  private uncheckedCount = 0;
  // Chunks waiting to be written: while a chunk is in flight, or for a microtask.
  private readonly queue: Buffer[] = [];
  private readonly queueRecords: number[] = [];
  private queuedBytes = 0;
  // Blocks of lines (writeLines) are encoded into one of the encoder's two
  // batches and queued as views of it, so that a tick's blocks go out in one
  // write without a copy. A batch is filled again from its start only once
  // everything in it has landed: the file's size then, for each.
  private batch = 0;
  private batchUsed = 0;
  private readonly batchLandedAt = [0, 0];
  // A chunk was handed to fs.write and has not been seen to land (by its
  // callback, or by the file's size): start no other write.
  private writing = false;
  // The number of the latest fs.write: a callback of an earlier one, seen to
  // land by the file's size before its callback ran, is ignored.
  private writeId = 0;
  // That chunk, while its bytes are not yet known to be in the file; and how many.
  private inflight: Buffer | null = null;
  private unlanded = 0;
  private unlandedRecords = 0;
  // The file's size once everything known to have landed is there.
  private landedSize: number;
  private scheduled = false;
  private failed = false;
  private closed = false;
  private drainWaiters: (() => void)[] = [];
  // The size limit (§6). The file's size once every chunk handed on has
  // landed; past the soft limit, also every record accepted since.
  private handedSize: number;
  private readonly softLimit: number;
  private readonly hardLimit: number;
  /** Whether the file has reached the soft limit: from then on each record is measured against the hard one. */
  limitReached = false;
  // Reached, and the session not told yet. It is told once the chunk that
  // reached the limit has been handed on, since telling it writes a record.
  private limitUntold = false;
  /** Called once, when the file reaches the soft limit. */
  onSizeLimit: () => void = () => {};

  constructor(fd: number, filePath: string, size: number, encoder: ChunkEncoder, maxBytes: number = Infinity) {
    this.fd = fd;
    this.encoder = encoder;
    this.filePath = filePath;
    this.landedSize = size;
    this.handedSize = size;
    this.softLimit = maxBytes;
    this.hardLimit = maxBytes + SIZE_LIMIT_MARGIN;
    // A reused PID's earlier session may have filled the file already.
    if (size >= maxBytes) this.limitReached = this.limitUntold = true;
  }

  /**
   * Queues `count` records (one by default) holding `newlines` newlines (one
   * each by default). `sync` writes them, and everything before, before returning.
   */
  write(records: string, sync: boolean, count = 1, newlines = count): void {
    if (this.failed || this.closed) {
      this.dropped += count;
      return;
    }
    if (this.limitReached && !this.fitsUnderHardLimit(records, count)) return;
    this.pending += records;
    this.pendingRecords += count;
    this.pendingNewlines += newlines;
    this.handOn(sync);
  }

  /**
   * Queues one text record whose message was not searched for newlines
   * (LineCheck): where it starts and ends is kept for its chunk's check. Not
   * past the soft size limit, where each record is measured as written.
   */
  writeUnchecked(record: string, sync: boolean): void {
    if (this.failed || this.closed) {
      this.dropped++;
      return;
    }
    let count = this.uncheckedCount;
    if (count + 2 > this.unchecked.length) this.unchecked = growInt32(this.unchecked);
    this.unchecked[count++] = this.pending.length;
    this.pending += record;
    this.unchecked[count++] = this.pending.length;
    this.uncheckedCount = count;
    this.pendingRecords++;
    this.pendingNewlines++;
    this.handOn(sync);
  }

  private handOn(sync: boolean): void {
    if (sync) {
      this.flushSync();
    } else if (this.pending.length >= CHUNK_CHARS) {
      this.handOnFullChunk();
    } else if (!this.writing && !this.scheduled) {
      // A microtask lets every record of the current tick go out in one write.
      this.scheduled = true;
      queueMicrotask(this.startWrite);
    }
  }

  /**
   * Logger.lines' fast path (§10): each line of `lines` as a record with `head`,
   * encoded straight from the bytes and handed on as a chunk of its own, after
   * everything before it. False when the block needs the string path (see
   * ChunkEncoder.encodeLines), or past the soft size limit, where every record
   * is measured: nothing is taken then, and order is kept.
   */
  writeLines(head: string, lines: Uint8Array, sync: boolean): boolean {
    if (this.failed || this.closed || this.limitReached) return false;
    // What is pending goes first.
    if (sync) this.flushSync();
    else this.queuePending();
    if (this.failed) return false;
    let length = this.encoder.encodeLines(head, lines, this.batch, this.batchUsed);
    if (length === -2) {
      this.nextBatch();
      if (this.failed) return false;
      length = this.encoder.encodeLines(head, lines, this.batch, 0);
    }
    if (length < 0) return false;
    const count = this.encoder.linesEncoded;
    const fits = this.handedSize + length <= this.hardLimit;
    if (fits) this.handedSize += length;
    else this.dropped += count;
    if (!fits || this.handedSize >= this.softLimit) this.limitReached = this.limitUntold = true;
    if (fits) {
      const bytes = this.encoder.batchBytes(this.batch, this.batchUsed, this.batchUsed + length);
      this.batchUsed += length;
      if (sync) {
        this.writeAllSync(bytes, length, count);
      } else {
        // Unlike records logged in a loop, blocks of lines come one event at a
        // time, so they can be written on Node's thread pool while this thread
        // reads on. The blocks of one event go out in one write, once the write
        // before has landed (startWrite).
        this.queueChunk(bytes, count);
        if (!this.scheduled && !this.failed) {
          this.scheduled = true;
          queueMicrotask(this.startWrite);
        }
      }
      this.batchLandedAt[this.batch] = this.landedSize + this.unlanded + this.queuedBytes;
    }
    this.tellLimit();
    return true;
  }

  /** Moves to the other batch, once what was written into it before has landed. */
  private nextBatch(): void {
    const other = 1 - this.batch;
    if (this.landedSize < this.batchLandedAt[other]!) {
      // Its bytes are in flight, or queued behind the chunk that is: wait for the one, write the other.
      if (this.unlanded > 0) this.awaitInflight();
      if (this.landedSize < this.batchLandedAt[other]!) this.flushSync();
    }
    this.batch = other;
    this.batchUsed = 0;
  }

  /**
   * Records logged in a loop fill chunks faster than a thread-pool write and
   * its callback (which needs the event loop) can take them, so a full chunk is
   * written synchronously (one writeSync per 64 KiB) once the chunk in flight,
   * if any, has landed.
   */
  private handOnFullChunk(): void {
    if (this.unlanded === 0 || this.hasLanded()) return this.flushSync();
    // The disk is behind: queue, up to the bound.
    this.queuePending();
    this.tellLimit();
  }

  /** Encodes the pending records and queues them as a chunk, unless they are dropped for the size limit. */
  private queuePending(): void {
    if (this.pending === '') return;
    const records = this.pendingRecords;
    const bytes = this.encodePending();
    // A copy: the encoder's buffer is reused by the next chunk.
    if (bytes !== null) this.queueChunk(Buffer.from(bytes), records);
  }

  private queueChunk(chunk: Buffer, records: number): void {
    this.queue.push(chunk);
    this.queueRecords.push(records);
    this.queuedBytes += chunk.length;
    if (this.queuedBytes >= MAX_QUEUED_BYTES) this.flushSync();
  }

  private readonly startWrite = (): void => {
    this.scheduled = false;
    if (this.failed || this.closed) return;
    // A write can land long before its callback runs (this thread is busy
    // with a burst of reads): the file's size tells, and the next can start.
    if (this.writing) {
      if (!this.hasLanded()) return;
      this.writing = false;
    }
    if (this.queue.length === 0 && this.pending === '') return this.notifyDrained();
    let chunk: Buffer;
    let records: number;
    if (this.queue.length > 0) {
      // The chunks at the queue's head that lie one after another in one buffer
      // (blocks of lines in a batch), in one write, without a copy.
      let count = 1;
      chunk = this.queue[0]!;
      while (count < this.queue.length && follows(chunk, this.queue[count]!)) {
        chunk = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length + this.queue[count]!.length);
        count++;
      }
      records = this.queueRecords.splice(0, count).reduce((sum, n) => sum + n, 0);
      this.queue.splice(0, count);
      this.queuedBytes -= chunk.length;
    } else {
      records = this.pendingRecords;
      const bytes = this.encodePending();
      if (bytes === null) {
        this.tellLimit();
        return this.startWrite();
      }
      chunk = Buffer.from(bytes);
    }
    this.writing = true;
    this.inflight = chunk;
    this.unlanded = chunk.length;
    this.unlandedRecords = records;
    this.writeFrom(++this.writeId, chunk, 0);
    this.tellLimit();
  };

  /** Writes `chunk` from `offset` on the thread pool; a short write goes on from where it stopped. */
  private writeFrom(id: number, chunk: Buffer, offset: number): void {
    fs.write(this.fd, chunk, offset, chunk.length - offset, null, (error, written) => {
      // Seen to land already, and a later write started; or the file is closed.
      if (id !== this.writeId || this.closed) return;
      if (!error && offset + written < chunk.length) return this.writeFrom(id, chunk, offset + written);
      this.onWritten(error);
    });
  }

  private onWritten(error: Error | null): void {
    this.writing = false;
    if (error) {
      const chunk = this.inflight;
      if (chunk === null || this.unlanded === 0) return this.fail(error);
      const records = this.unlandedRecords;
      this.unlanded = 0;
      this.unlandedRecords = 0;
      return this.fail(error, { bytes: chunk, length: chunk.length, written: this.sizeNow() - this.landedSize, records });
    }
    // A synchronous flush may already have seen this chunk land and moved on.
    if (this.unlanded > 0) this.markLanded();
    this.startWrite();
  }

  private markLanded(): void {
    this.landedSize += this.unlanded;
    this.inflight = null;
    this.unlanded = 0;
    this.unlandedRecords = 0;
  }

  private sizeNow(): number {
    try {
      return fs.fstatSync(this.fd).size;
    } catch {
      return -1;
    }
  }

  /** The file is ours alone and opened for append, so its size tells whether the chunk in flight has landed. */
  private hasLanded(): boolean {
    if (this.sizeNow() < this.landedSize + this.unlanded) return false;
    this.markLanded();
    return true;
  }

  /** Blocks until the chunk in flight has landed, or has made no progress for INFLIGHT_STALL_MS. */
  private awaitInflight(): void {
    let lastSize = -1;
    let lastProgress = Date.now();
    for (let polls = 0; !this.hasLanded(); polls++) {
      const size = this.sizeNow();
      if (size !== lastSize) {
        lastSize = size;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress > INFLIGHT_STALL_MS) {
        // Presumed failed: count from what the file really holds, and go on.
        this.landedSize = Math.max(0, size);
        this.inflight = null;
        this.unlanded = 0;
        return;
      }
      // A write usually lands within microseconds: poll a few times before sleeping.
      if (polls > 10) sleepMs(1);
    }
  }

  /** Writes everything queued, in order, before returning. */
  flushSync(): void {
    if (this.failed || this.closed) return;
    if (this.unlanded > 0) this.awaitInflight();
    while (this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      const records = this.queueRecords.shift()!;
      this.queuedBytes -= chunk.length;
      if (!this.writeAllSync(chunk, chunk.length, records)) return;
    }
    if (this.pending !== '') {
      const records = this.pendingRecords;
      const bytes = this.encodePending();
      if (bytes !== null && !this.writeAllSync(bytes, bytes.length, records)) return;
    }
    this.tellLimit();
    this.notifyDrained();
  }

  /**
   * The pending records as bytes to hand on (a view of the encoder's buffer),
   * checked against the size limit once per chunk, not once per record. Null
   * when they would take the file past the hard limit: dropped and counted.
   */
  private encodePending(): Buffer | null {
    const records = this.pendingRecords;
    // A view of the offsets, used only while the chunk is encoded, here.
    const lines: LineCheck = { newlines: this.pendingNewlines, unchecked: this.unchecked.subarray(0, this.uncheckedCount) };
    const bytes = this.encoder.encode(this.takePending(), lines);
    // Past the soft limit each record was measured as it was accepted.
    if (this.limitReached) return bytes;
    const fits = this.handedSize + bytes.length <= this.hardLimit;
    if (fits) this.handedSize += bytes.length;
    else this.dropped += records;
    if (!fits || this.handedSize >= this.softLimit) this.limitReached = this.limitUntold = true;
    return fits ? bytes : null;
  }

  /** Past the soft limit: whether `record` still fits under the hard limit. If so it is counted in, else dropped. */
  private fitsUnderHardLimit(records: string, count: number): boolean {
    const bytes = this.encoder.byteLength(records);
    if (this.handedSize + bytes > this.hardLimit) {
      this.dropped += count;
      return false;
    }
    this.handedSize += bytes;
    return true;
  }

  /** Tells the session, once, that the soft limit was reached; only once the chunk that reached it is handed on. */
  private tellLimit(): void {
    if (!this.limitUntold) return;
    this.limitUntold = false;
    this.onSizeLimit();
  }

  /** The pending records, to be encoded; pending is left empty. */
  private takePending(): string {
    const text = this.pending;
    this.pending = '';
    this.pendingRecords = 0;
    this.pendingNewlines = 0;
    this.uncheckedCount = 0;
    return text;
  }

  /** Writes `length` bytes of whole records; false when the write failed (and the writer with it). */
  private writeAllSync(bytes: Buffer, length: number, records: number): boolean {
    let written = 0;
    try {
      // A write to a file can be short (a signal, a nearly full disk): write the rest.
      while (written < length) written += fs.writeSync(this.fd, bytes, written, length - written);
    } catch (error) {
      this.fail(error, { bytes, length, written, records });
      return false;
    }
    this.landedSize += length;
    return true;
  }

  /**
   * After a short write, cuts the file back to the end of the last whole record
   * that landed, so that no record is left torn; returns how many landed whole.
   */
  private trimTornRecord(torn: TornChunk): number {
    if (torn.written <= 0) return 0;
    const written = Math.min(torn.written, torn.length);
    // A record ends at a newline followed by the start of another record: the
    // chunk's end, or anything but the indentation of a continuation line.
    let cut = 0;
    let records = 0;
    for (let i = torn.bytes.indexOf(0x0a); i >= 0 && i < written; i = torn.bytes.indexOf(0x0a, i + 1)) {
      if (i + 1 === torn.length || torn.bytes[i + 1] !== 0x20) {
        cut = i + 1;
        records++;
      }
    }
    try {
      const size = fs.fstatSync(this.fd).size;
      if (cut < written) fs.ftruncateSync(this.fd, size - written + cut);
    } catch {
      // The file cannot be trimmed: the torn tail stays, the rest is counted as lost.
    }
    return Math.min(records, torn.records);
  }

  /** The first failure is reported once; later records are dropped and counted. */
  private fail(error: unknown, torn?: TornChunk): void {
    if (this.failed) return;
    this.failed = true;
    const tornRecordsLost = torn === undefined ? 0 : torn.records - this.trimTornRecord(torn);
    this.dropped += tornRecordsLost + this.pendingRecords + this.unlandedRecords + this.queueRecords.reduce((sum, n) => sum + n, 0);
    this.pending = '';
    this.pendingRecords = 0;
    this.pendingNewlines = 0;
    this.uncheckedCount = 0;
    this.queue.length = 0;
    this.queueRecords.length = 0;
    this.queuedBytes = 0;
    this.inflight = null;
    this.unlanded = 0;
    this.unlandedRecords = 0;
    try {
      fs.writeSync(2, `automake logging: cannot write to ${this.filePath}: ${errorMessage(error)}; later records are dropped\n`);
    } catch {
      // stderr is gone too: nothing left to tell.
    }
    this.notifyDrained();
  }

  private isDrained(): boolean {
    return this.failed || (!this.writing && this.queue.length === 0 && this.pending === '');
  }

  private notifyDrained(): void {
    if (!this.isDrained()) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Lets queued records go out asynchronously, then closes the file. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.isDrained()) {
      await new Promise<void>((resolve) => {
        this.drainWaiters.push(resolve);
        this.startWrite();
      });
    }
    if (this.closed) return;
    this.closed = true;
    // Closed here, synchronously: nothing of ours is in flight any more (a
    // write seen to land by the file's size may still have its callback to
    // come, which is then ignored).
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed by someone else: nothing to release.
    }
  }
}

// ---------------------------------------------------------------------------
// Loggers, and records held before initLogging
// ---------------------------------------------------------------------------

interface HeldRecord {
  time: number;
  level: number;
  logger: LoggerImpl;
  message: unknown;
  extra: LogExtra | undefined;
}

// Records logged before initLogging (at module load, say) wait here, up to this
// many; beyond it they are counted and reported when the file opens.
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

  log(level: LevelName, message: string, extra?: LogExtra): void {
    this.emit(levelValue(level), message, extra);
  }

  lines(level: LevelName, text: string | Uint8Array): void {
    const value = levelValue(level);
    const session = active;
    if (session === null) {
      for (const line of (typeof text === 'string' ? text : decodeUtf8(text)).split('\n')) this.emit(value, line, undefined);
    } else if (value >= session.threshold) {
      session.recordLines(Date.now(), value, this, text);
    } else if (value >= session.levelThreshold) {
      session.dropOverLimit(typeof text === 'string' ? text.split('\n').length : countLines(text));
    }
  }

  isEnabledFor(level: LevelName): boolean {
    return active === null || LEVEL_VALUES[level] >= active.threshold;
  }

  child(name: string): Logger {
    return getLogger(`${this.name}.${name}`);
  }

  private emit(level: number, message: unknown, extra: LogExtra | undefined): void {
    const session = active;
    if (session !== null) {
      if (level >= session.threshold) session.record(Date.now(), level, this, message, extra);
      else if (level >= session.levelThreshold) session.dropOverLimit();
    } else if (held.length < HELD_LIMIT) {
      // A shallow copy: the caller may reuse its object before the file opens.
      const kept = extra === undefined || extra instanceof Error ? extra : { ...extra };
      held.push({ time: Date.now(), level, logger: this, message, extra: kept });
      if (held.length === 1) process.on('exit', writeHeldToStderr);
    } else {
      heldOverflow++;
    }
  }
}

/**
 * The last resort, as in Python's logging: when the process ends with records
 * still held (initLogging never ran, or failed), WARNING and above go to stderr
 * rather than vanish.
 */
function writeHeldToStderr(): void {
  process.off('exit', writeHeldToStderr);
  if (active !== null) return;
  let text = '';
  for (const record of held.splice(0)) {
    if (record.level >= LEVEL_VALUES.WARNING) {
      text += formatTextRecord(record.time, record.level, record.logger.prefixes, record.message, record.extra);
    }
  }
  try {
    if (text !== '') fs.writeSync(2, cleanChunk(redactor, text, false));
  } catch {
    // stderr is gone too: nothing left to tell.
  }
}

/**
 * The logger named `name` (default `automake`); the same object for the same name.
 * Safe before `initLogging`: records are held (up to 1,000) and written first once the file opens.
 */
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

/**
 * Logs a record that passes the session's size limit (§6), as the session's own
 * records do: a summary a reader looks for, such as how `exec`'s command ended.
 * The level setting and the hard limit still apply; before `initLogging`, after
 * the end record, or with a logger of another kind, it is an ordinary record.
 */
export function logPastSizeLimit(logger: Logger, level: LevelName, message: string, extra?: LogExtra): void {
  const session = active;
  const value = levelValue(level);
  if (session === null || session.threshold === Infinity || !(logger instanceof LoggerImpl)) return logger.log(level, message, extra);
  if (value >= session.levelThreshold) session.record(Date.now(), value, logger, message, extra);
}

// ---------------------------------------------------------------------------
// Exit handling
// ---------------------------------------------------------------------------

/**
 * The signals that ask a process to end: Ctrl-C, `kill`, a closed terminal,
 * Ctrl-\. A session writes its records, and its end record, before the
 * process dies of one.
 */
export const EXIT_SIGNALS: readonly ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] =
  Object.freeze(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const);

/**
 * Hooks that get every accepted record, then the end record, into the file
 * however the process ends: `exit` (normal end, `process.exit`, and after an
 * uncaught exception or unhandled rejection, which are logged at CRITICAL),
 * and the exit signals.
 */
function attachToProcess(session: Session): () => void {
  // Node passes the code the process exits with, whatever set it.
  const onExit = (code: number) => {
    session.enterExitMode();
    session.writeEnd({ exitCode: code });
  };
  // The monitor sees the error before Node prints it and exits, and changes
  // nothing of what Node does next (unlike an 'uncaughtException' listener).
  const onUncaught = (error: unknown, origin: string) => {
    const what = origin === 'unhandledRejection' ? 'Unhandled rejection' : 'Uncaught exception';
    const message = error instanceof Error ? `${what}: ${error.message}` : `${what}: ${stringifyValue(error)}`;
    session.logger.critical(message, error instanceof Error ? error : undefined);
    session.flushSync();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    session.writeNotice(LEVEL_VALUES.WARNING, `Received ${signal}`);
    session.flushSync();
    // With a handler of the application's own, the decision is its to make,
    // and the end record is written when the process exits.
    if (process.listenerCount(signal) > 1) return;
    session.enterExitMode();
    session.writeEnd({ signal });
    detach();
    // No handler left: Node restores the default action, and the process dies
    // of the signal as it would have without us.
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

// ---------------------------------------------------------------------------
// The session
// ---------------------------------------------------------------------------

class Session implements LogSession {
  readonly filePath: string;
  readonly logger: Logger;
  readonly pruned: PruneReport;
  readonly settings: LogSettings;
  readonly warnings: readonly string[];
  /** Records below this are not written: the level setting's threshold, or ERROR once the file reached its size limit. */
  threshold: number;
  /** The level setting's threshold: what the size limit keeps out above it is counted as dropped. */
  readonly levelThreshold: number;
  private readonly writer: LogWriter;
  private readonly format: typeof formatTextRecord;
  // The head of the last text record: its timestamp and prefix, for the time and prefix it was made for.
  private head = '';
  private headTime = NaN;
  private headPrefix = '';
  private readonly startedMs = Date.now();
  private exiting = false;
  private ended = false;
  private highest = 0;
  private detach: () => void = () => {};

  /** Stops the timer that touches the file every HEARTBEAT_MS (§12). */
  stopHeartbeat: () => void = () => {};

  readonly identity: FileIdentity;

  constructor(writer: LogWriter, resolved: ResolvedSettings, pruned: PruneReport, identity: FileIdentity) {
    const { settings, warnings } = resolved;
    this.identity = identity;
    this.writer = writer;
    this.filePath = writer.filePath;
    this.settings = settings;
    this.warnings = warnings;
    this.pruned = pruned;
    this.threshold = this.levelThreshold = LEVEL_VALUES[settings.level.value];
    this.format = settings.format.value === 'json' ? formatJsonRecord : formatTextRecord;
    this.logger = getLogger(DEFAULTS.prefix);
    writer.onSizeLimit = () => this.reachSizeLimit();
    if (writer.limitReached) this.threshold = Math.max(this.threshold, LEVEL_VALUES.ERROR);
  }

  /**
   * The size limit (§6): from now on records below ERROR are dropped and counted,
   * at the cost of the threshold comparison every record pays anyway. One
   * WARNING says so, written past the limit as the session's own records are.
   */
  private reachSizeLimit(): void {
    this.threshold = Math.max(this.threshold, LEVEL_VALUES.ERROR);
    const max = this.settings.maxSessionBytes.value;
    const message = `This session's log reached its size limit of ${sizeText(max)}: records below ERROR are dropped from here on `
      + `and counted; ERROR and CRITICAL records still land until the file reaches ${sizeText(max + SIZE_LIMIT_MARGIN)}`;
    this.record(Date.now(), LEVEL_VALUES.WARNING, this.logger as LoggerImpl, message, { maxSessionBytes: max });
  }

  /** Counts records (one by default) the size limit, or the session's end, kept out. */
  dropOverLimit(count = 1): void {
    this.writer.dropped += count;
  }

  get dropped(): number {
    return this.writer.dropped;
  }

  get highestLevel(): LevelName | undefined {
    return LEVEL_NAMES[this.highest];
  }

  attach(): void {
    this.detach = attachToProcess(this);
  }

  /**
   * Writes one record, whatever its level. Loggers apply the level threshold,
   * and with it the size limit's, before they call this; so a record the session
   * writes itself by calling this directly (the size-limit WARNING; the end
   * record of §9 should too) passes the soft size limit. Only the writer's hard
   * limit, maxSessionBytes + 1 MiB, still applies to it.
   */
  record(time: number, level: number, logger: LoggerImpl, message: unknown, extra: LogExtra | undefined): void {
    if (level > this.highest) this.highest = level;
    this.writeRecord(time, level, logger, message, extra);
  }

  /** The session's first record, written at any level (docs/design.md §9). */
  writeHeader(fields: Record<string, unknown>): void {
    this.writeRecord(Date.now(), LEVEL_VALUES.INFO, this.logger as LoggerImpl, 'Session started', fields);
  }

  /** A notice of the session's own (a signal received): at the level in force, not counted in `highestLevel`. */
  writeNotice(level: number, message: string): void {
    if (level >= this.threshold) this.writeRecord(Date.now(), level, this.logger as LoggerImpl, message, undefined);
  }

  /** The session's last record, once, at any level: how it ended (docs/design.md §9). */
  writeEnd(how: { exitCode: number } | { signal: NodeJS.Signals }): void {
    if (this.ended) return;
    this.ended = true;
    const dropped = this.writer.dropped;
    const fields = { ...how, durationMs: Date.now() - this.startedMs, ...(dropped > 0 ? { dropped } : {}) };
    this.writeRecord(Date.now(), LEVEL_VALUES.INFO, this.logger as LoggerImpl, 'Session ended', fields);
    // Nothing follows the end record. A signal raised again kills a Node process
    // at once, but Deno runs its event loop on for a moment, and a record logged
    // then would land after the end; it is counted as dropped instead.
    this.threshold = Infinity;
  }

  private writeRecord(time: number, level: number, logger: LoggerImpl, message: unknown, extra: LogExtra | undefined): void {
    // ERROR and above reach the kernel before the call returns; so does
    // everything once the process is exiting, since no async write will run.
    const sync = level >= LEVEL_VALUES.ERROR || this.exiting;
    const text = this.format === formatTextRecord;
    // A text record without an Error's stack has no newline of its own but its
    // last (fields are quoted): its message is searched for newlines with its
    // chunk (LineCheck). Past the soft size limit each record is measured as written.
    let unchecked = text && !(extra instanceof Error) && !this.writer.limitReached;
    let record: string;
    try {
      record = unchecked
        ? this.textHead(time, level, logger) + messageText(message) + (extra === undefined || extra === null || extra instanceof Error ? '' : formatFieldsText(extra)) + '\n'
        : this.format(time, level, logger.prefixes, message, extra);
    } catch (error) {
      // An extra field whose getter throws must neither take the program down
      // nor cost the message: keep the message, say what went wrong.
      record = this.formatFallback(time, level, logger, message, error);
      unchecked = false;
    }
    if (unchecked) this.writer.writeUnchecked(record, sync);
    else this.writer.write(record, sync, 1, text ? countNewlines(record) : 1);
  }

  /**
   * A text record's timestamp and prefix, joined once per millisecond and
   * logger: one piece fewer for every record. Joined by Array.join, which makes
   * one flat string: `+` makes a tree of the timestamp's pieces, which V8 walks
   * again for every record that holds it when a chunk is encoded (perf: the
   * benchmark's flattening fell from 14% of its samples to 4%).
   */
  private textHead(time: number, level: number, logger: LoggerImpl): string {
    const prefix = logger.prefixes.text[level]!;
    if (time !== this.headTime || prefix !== this.headPrefix) {
      this.head = [formatTimestamp(time), prefix].join('');
      this.headTime = time;
      this.headPrefix = prefix;
    }
    return this.head;
  }

  /** Each line of `lines` as a record; the lines hold no newline, so none can forge a record. */
  recordLines(time: number, level: number, logger: LoggerImpl, lines: string | Uint8Array): void {
    if (level > this.highest) this.highest = level;
    const sync = level >= LEVEL_VALUES.ERROR || this.exiting;
    const text = this.format === formatTextRecord;
    if (typeof lines !== 'string') {
      if (text && lines.length >= FAST_LINES_MIN_BYTES && this.writer.writeLines(this.textHead(time, level, logger), lines, sync)) return;
      lines = decodeUtf8(lines);
    }
    const each = lines.split('\n');
    let records: string;
    if (text) {
      // One join instead of a record at a time: the result is one flat string,
      // which the writer encodes far faster than a long concatenation of pieces.
      const head = this.textHead(time, level, logger);
      records = head + each.join('\n' + head) + '\n';
    } else {
      records = '';
      for (const line of each) records += this.format(time, level, logger.prefixes, line, undefined);
    }
    this.writer.write(records, sync, each.length);
  }

  private formatFallback(time: number, level: number, logger: LoggerImpl, message: unknown, error: unknown): string {
    const note = { logging_error: `extra fields could not be formatted: ${errorMessage(error)}` };
    try {
      return this.format(time, level, logger.prefixes, message, note);
    } catch {
      return this.format(time, level, logger.prefixes, '[record could not be formatted]', note);
    }
  }

  enterExitMode(): void {
    this.exiting = true;
    this.writer.flushSync();
  }

  flushSync(): void {
    this.writer.flushSync();
  }

  async close(exitCode?: number): Promise<void> {
    if (active === this) {
      this.writeEnd({ exitCode: exitCode ?? exitCodeNow() });
      // Records logged from now on are held for a later session.
      active = null;
    }
    this.stopHeartbeat();
    // The exit hooks stay until the last record is written: the process may
    // exit while the queue drains.
    await this.writer.close();
    this.detach();
  }
}

/** The code the process would exit with now: `process.exitCode` when set, else 0. */
function exitCodeNow(): number {
  const code = Number(process.exitCode ?? 0);
  return Number.isInteger(code) ? code : 0;
}

/**
 * The header's fields (docs/design.md §9): who the process is, what it runs and
 * where, then the application's own, which cannot replace ours. In JSON the
 * record's own `pid` says it already.
 */
function headerFields(settings: LogSettings, extra: Record<string, unknown>): Record<string, unknown> {
  const cwd = workingDirectory();
  const started = processStartMs('self') ?? Date.now() - process.uptime() * 1000;
  const fields: Record<string, unknown> = {
    ...(settings.format.value === 'text' ? { pid: process.pid } : {}),
    ppid: process.ppid,
    argv: shellQuote(process.argv),
    ...(cwd === undefined ? {} : { cwd }),
    node: process.version,
    platform: process.platform,
    // Where it runs, for readers in other containers and on other hosts (§12).
    ...thisPlace(),
    processStart: new Date(Math.round(started)).toISOString(),
  };
  for (const key of Object.keys(extra)) if (!Object.hasOwn(fields, key) && key !== 'pid') fields[key] = extra[key];
  return fields;
}

/** The working directory; undefined when it was deleted under us. */
function workingDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined;
  }
}

/**
 * Touches the file open as `fd` every HEARTBEAT_MS, so that its mtime says the
 * session runs even when it logs nothing (§12), from a timer that never keeps the
 * process alive. Returns what stops it. A descriptor that is no longer the file
 * (closed after a write failure, its number reused) is never touched.
 */
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

/** This machine's name: the kernel's (Linux), else `HOSTNAME` or `COMPUTERNAME`. */
function hostName(env: Record<string, string | undefined>): string | undefined {
  try {
    const name = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
    if (name !== '') return name;
  } catch {
    // Not Linux, or no /proc.
  }
  return env['HOSTNAME'] || env['COMPUTERNAME'] || undefined;
}

// A word a POSIX shell reads as itself, unquoted.
const SHELL_WORD = /^[\w\/.,:=@%+-]+$/;

/** A command line as a POSIX shell would need it typed: words quoted only when they must be. */
export function shellQuote(words: readonly string[]): string {
  return words.map((word) => (SHELL_WORD.test(word) ? word : "'" + word.split("'").join("'\\''") + "'")).join(' ');
}

/**
 * Prunes old logs, then opens this process's log file and routes every logger
 * to it. Synchronous. Call it first. Throws `TypeError` for a bad option and
 * `LoggingSetupError` when the directory or file cannot be used.
 */
export function initLogging(options: LoggingOptions = {}): LogSession {
  if (active !== null) {
    throw new LoggingSetupError(`Logging is already initialized to ${active.filePath}: close() that session first`, active.filePath);
  }
  const resolved = resolveSettings(options);
  const { settings, warnings } = resolved;
  // Checked before pruning: an unsafe directory is neither pruned nor written.
  const { dir, warning: dirWarning } = prepareLogDirectory(settings.dir.value);
  const pruned = pruneOldLogs(dir, {
    retentionDays: settings.retentionDays.value,
    prefix: settings.prefix.value,
    maxTotalBytes: settings.maxTotalBytes.value,
    minFreeBytes: settings.minFreeBytes.value,
  });
  const { fd, filePath, identity } = createLogFile(dir, new Date(), process.pid, settings.prefix.value);

  const userRules = typeof options.redact === 'object' ? options.redact : {};
  redactor = settings.redact.value ? makeRedactor(userRules.keys, userRules.patterns) : null;
  const encoder = new ChunkEncoder(settings.format.value, redactor);
  const session = new Session(new LogWriter(fd, filePath, 0, encoder, settings.maxSessionBytes.value), resolved, pruned, identity);
  active = session;
  session.stopHeartbeat = startHeartbeat(fd, identity);
  session.attach();
  session.writeHeader(headerFields(settings, options.header ?? {}));
  const root = session.logger;
  if (dirWarning !== undefined) root.warning(dirWarning);
  for (const warning of warnings) root.warning(warning);
  if (heldOverflow > 0) root.warning(`${heldOverflow} records logged before initLogging were dropped (the limit is ${HELD_LIMIT})`);
  process.off('exit', writeHeldToStderr);
  for (const record of held.splice(0)) {
    if (record.level >= session.threshold) session.record(record.time, record.level, record.logger, record.message, record.extra);
    else if (record.level >= session.levelThreshold) session.dropOverLimit();
  }
  heldOverflow = 0;
  for (const error of pruned.errors) root.warning(`Could not prune ${error.file}`, { code: error.code, error: error.message });
  if (pruned.deleted.length > 0) root.debug(`Pruned ${pruned.deleted.length} old log files`, { dir });
  return session;
}
