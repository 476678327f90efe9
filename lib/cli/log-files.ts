/**
 * The session logs in the log directory, as the command line sees them: found,
 * listed, named by PID or file, opened and deleted. Every open and delete goes
 * through here, and here only names that match the log pattern, regular files
 * (never symlinks, never blocking on a FIFO) and paths inside the log directory
 * are used.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorCode, errorMessage, isSessionRunning, logFileTime, parseLogFileName, pruneDueTime, type FileIdentity } from '../logging.ts';
import { CommandError, UsageError } from './errors.ts';

/** One session's log file. */
export interface SessionLog {
  /** File name, `automake_YYYY-MM-DD_PID.log` or `automake_YYYY-MM-DD_PID-N.log`. */
  name: string;
  /** Absolute path. */
  path: string;
  pid: number;
  /** The local date in the name: the day the session started. */
  date: string;
  size: number;
  /** When the session started, as the pruner measures age (`logFileTime`). */
  startedMs: number;
  /** When it was last written to: no record in it is newer. */
  modifiedMs: number;
  /** Whether its session may still be running, wherever it runs, by the pruner's own test (docs/design.md §12). */
  running: boolean;
  /** Whether this is the log of the process that is listing. */
  own: boolean;
}

/** Where the logs are, and which one is ours. */
export interface LogPlace {
  /** Absolute log directory. */
  dir: string;
  /** File name prefix (`automake`). */
  prefix: string;
  /** The device and inode of this process's own log, if it has one: known by identity, not by name. */
  own?: FileIdentity;
}

/** `automake_YYYY-MM-DD_PID[-N].log` for a prefix, as users should read it. */
export function logFilePattern(prefix: string): string {
  return `${prefix}_YYYY-MM-DD_PID[-N].log`;
}

/** Whether `stats` are of this process's own log. */
export function isOwnLog(place: LogPlace, stats: FileIdentity): boolean {
  return place.own !== undefined && place.own.dev === stats.dev && place.own.ino === stats.ino;
}

/** A session log file as found in the directory, before asking whether its session runs. */
export interface LogFileEntry {
  name: string;
  path: string;
  pid: number;
  date: string;
  stats: fs.Stats;
}

/**
 * The session log files in the directory, in no particular order: names that
 * match the pruner's pattern, regular files only. A missing directory has none.
 * Cheap enough to call every tenth of a second over a thousand logs.
 */
export function findLogFiles(place: LogPlace): LogFileEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(place.dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw new CommandError(`Cannot read log directory ${place.dir}: ${errorMessage(error)}`);
  }
  const entries: LogFileEntry[] = [];
  for (const name of names) {
    // What does not match the pruner's pattern is no session log: never listed, read or deleted.
    const parsed = parseLogFileName(name, place.prefix);
    if (parsed === undefined) continue;
    const file = path.join(place.dir, name);
    let stats: fs.Stats | undefined;
    try {
      stats = fs.lstatSync(file, { throwIfNoEntry: false });
    } catch {
      continue;
    }
    // Gone since readdir (another session pruned it), or a symlink, FIFO or directory.
    if (stats === undefined || !stats.isFile()) continue;
    entries.push({ name, path: file, pid: parsed.pid, date: parsed.date, stats });
  }
  return entries;
}

/** The session logs in the directory, newest first. A missing directory has none. */
export function listSessionLogs(place: LogPlace): SessionLog[] {
  const logs = findLogFiles(place).map(({ name, path: file, pid, date, stats }) => ({
    name,
    path: file,
    pid,
    date,
    size: stats.size,
    startedMs: logFileTime(stats),
    modifiedMs: stats.mtimeMs,
    running: isSessionRunning(file, stats),
    own: isOwnLog(place, stats),
  }));
  return logs.sort((a, b) => b.startedMs - a.startedMs || b.name.localeCompare(a.name));
}

/** When `log` becomes due for pruning at `retentionDays`, by the pruner's own rule: `null` when pruning is off. */
export function pruneDueMs(log: SessionLog, retentionDays: number): number | null {
  return Number.isFinite(retentionDays) ? pruneDueTime(log.startedMs, retentionDays) : null;
}

/**
 * The log `ref` names: a PID (its newest log) or a FILE, given as a name in the
 * log directory or as a path to one. Throws `UsageError` naming `ref` when it is
 * outside the directory, not a session log name, or not there.
 */
export function findSessionLog(place: LogPlace, ref: string, command: string): SessionLog {
  const logs = listSessionLogs(place);
  if (/^\d+$/.test(ref)) {
    const log = logs.find((candidate) => candidate.pid === Number(ref));
    if (log === undefined) throw new UsageError(`No session log for PID: ${ref}`, command);
    return log;
  }
  const name = nameInsideDir(place.dir, ref, command);
  if (parseLogFileName(name, place.prefix) === undefined) {
    throw new UsageError(`Not a session log name: ${ref} (expected ${logFilePattern(place.prefix)})`, command);
  }
  const log = logs.find((candidate) => candidate.name === name);
  if (log === undefined) throw new UsageError(`No such session log: ${ref}`, command);
  return log;
}

/** The file name `ref` points at, when it is directly inside `dir`; a bare name is taken as one. */
function nameInsideDir(dir: string, ref: string, command: string): string {
  const hasSeparator = ref.includes('/') || (path.sep === '\\' && ref.includes('\\'));
  if (!hasSeparator) {
    if (ref === '.' || ref === '..') throw new UsageError(`File is outside the log directory: ${ref}`, command);
    return ref;
  }
  const resolved = path.resolve(ref);
  if (!sameDirectory(path.dirname(resolved), dir)) throw new UsageError(`File is outside the log directory: ${ref}`, command);
  return path.basename(resolved);
}

// Compared by real path too: the log directory may be reached through a
// symlink (/tmp on macOS is /private/tmp).
function sameDirectory(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return false;
  }
}

/**
 * Opens a log for reading without following a symlink that may have replaced it
 * since it was listed, and without blocking on a FIFO: the one way the command
 * line opens a log. Throws the error of `open`, or one saying it is not a regular file.
 */
export function openLog(filePath: string): number {
  const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;
  const fd = fs.openSync(filePath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new Error('it is not a regular file');
  }
  return fd;
}

/** Runs `read` on the open log at `filePath`, closing it after; `fallback` when it cannot be opened (gone, replaced). */
export function withLog<T>(filePath: string, fallback: T, read: (fd: number) => T): T {
  let fd: number;
  try {
    fd = openLog(filePath);
  } catch {
    return fallback;
  }
  try {
    return read(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Throws `CommandError` saying why `log` cannot be read (a symlink planted since it was listed, say). */
export function checkReadable(log: SessionLog): void {
  try {
    fs.closeSync(openLog(log.path));
  } catch (error) {
    throw new CommandError(`Cannot open ${log.name}: ${errorMessage(error)}`);
  }
}

/** What deleting one log came to. */
export type DeleteOutcome = { status: 'deleted' | 'gone' | 'running' } | { status: 'failed'; code: string; message: string };

/**
 * Deletes the log of an ended session, checking again just before: between the
 * listing and now the file may have been replaced, or its session written again.
 */
export function deleteEndedSessionLog(log: SessionLog): DeleteOutcome {
  try {
    const stats = fs.lstatSync(log.path, { throwIfNoEntry: false });
    if (stats === undefined) return { status: 'gone' };
    if (!stats.isFile()) return { status: 'failed', code: 'ENOTFILE', message: 'no longer a regular file' };
    if (log.own || isSessionRunning(log.path, stats)) return { status: 'running' };
    fs.unlinkSync(log.path);
    return { status: 'deleted' };
  } catch (error) {
    // Another session's pruner got there first.
    if (errorCode(error) === 'ENOENT') return { status: 'gone' };
    return { status: 'failed', code: errorCode(error), message: errorMessage(error) };
  }
}
