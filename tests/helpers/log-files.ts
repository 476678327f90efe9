/**
 * Log directories for the tests and what is in them: fresh temporary directories,
 * the session logs found there, logs of sessions that are over, and PIDs no
 * process can have. Written apart from the implementation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { LOG_NAME } from './records.ts';

/** A day in milliseconds, as retention counts days. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** A new empty directory under the system temp dir, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = 'automake-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `YYYY-MM-DD` of `date` in local time, as log names hold it. */
export function localDate(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${String(date.getFullYear()).padStart(4, '0')}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The names of the session logs in `dir`, sorted. */
export function logNames(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => LOG_NAME.test(name)).sort();
}

/** The one log file in `dir` (the directory of a single session). */
export function onlyLogFile(dir: string): string {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.log'));
  if (files.length !== 1) throw new Error(`Expected one log file in ${dir}, found: ${files.join(', ') || 'none'}`);
  return path.join(dir, files[0]);
}

/**
 * The log file the process `pid` wrote in `dir`, found by its PID, since its date
 * is the day the session started: a test that runs across midnight must still find
 * it. Where there is none, the name it would have today.
 */
export function logOf(dir: string, pid: number): string {
  const names = fs.readdirSync(dir).filter((name) => LOG_NAME.test(name) && new RegExp(`_${pid}(-\\d+)?\\.log$`).test(name));
  if (names.length > 1) throw new Error(`More than one log for PID ${pid} in ${dir}: ${names.join(', ')}`);
  return path.join(dir, names[0] ?? `automake_${localDate()}_${pid}.log`);
}

/** The PID of a process that has just ended: the PID of a session that is over. */
export function endedPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined || result.status !== 0) throw new Error('Could not run a short process');
  return result.pid;
}

/** What a header says of where its session ran (docs/design.md §12), read here independently of the core. */
export interface Place {
  host?: string;
  bootId?: string;
  pidNamespace?: string;
}

/** Where this test process runs: its host, boot and PID namespace. */
export function thisPlace(): Place {
  const read = (get: () => string) => {
    try {
      return get().trim();
    } catch {
      return undefined;
    }
  };
  return {
    host: read(() => fs.readFileSync('/proc/sys/kernel/hostname', 'utf8')) ?? os.hostname(),
    bootId: read(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: read(() => fs.readlinkSync('/proc/self/ns/pid')),
  };
}

/** A text header record (`Session started`) of session `pid` run at `place`, with its newline. */
export function headerLine(pid: number, place: Place = thisPlace(), time = new Date()): string {
  const fields = Object.entries({ pid, ...place }).filter(([, value]) => value !== undefined).map(([key, value]) => ` ${key}=${value}`);
  return `${timestampOf(time)} - automake - INFO - Session started${fields.join('')}\n`;
}

/** A text end record (`Session ended`), with its newline. */
export function endLine(time = new Date()): string {
  return `${timestampOf(time)} - automake - INFO - Session ended exitCode=0 durationMs=5\n`;
}

function timestampOf(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${localDate(date)} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
}

// Longer than a log may stay untouched while its session runs (docs/design.md §12: five minutes).
const IDLE_MS = 10 * 60 * 1000;

/**
 * Writes `content` as the log of a session that is over into `dir` and returns its
 * path: no header vouches for its PID, and it was last touched ten minutes ago,
 * longer than a running session leaves its file untouched.
 */
export function plantEndedLog(dir: string, content: string, date = localDate()): string {
  const file = path.join(dir, `automake_${date}_${endedPid()}.log`);
  fs.writeFileSync(file, content, { mode: 0o600 });
  const idle = new Date(Date.now() - IDLE_MS);
  fs.utimesSync(file, idle, idle);
  return file;
}

/** The Linux pid limit: every live PID is strictly below it. */
export function pidMax(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  } catch {
    return 4194304;
  }
}

/**
 * The implementation treats PIDs above 2^22 as dead without asking the kernel;
 * these fixtures stay at or below it so that the kernel is really asked.
 */
export const MAX_CHECKED_PID = 2 ** 22;

/** A PID that no process can have on this host: pid_max itself (live PIDs are below it). */
export function deadPid(offset = 0): number {
  const pid = pidMax() + offset;
  if (pid > MAX_CHECKED_PID) throw new Error(`No dead PID at or below 2^22 is available (pid_max ${pidMax()}, offset ${offset})`);
  return pid;
}

/** A file's age origin as docs/design.md §3 defines it, read independently of `logFileTime`. */
export function fileTimeOf(file: string): number {
  const stats = fs.lstatSync(file);
  return Number.isFinite(stats.birthtimeMs) && stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.mtimeMs;
}

/**
 * A tmpfs of `size` (mode 0700: a tmpfs root is 1777, a directory other users could write to, docs/design.md §7),
 * unmounted and removed when the test ends; undefined where this machine does not allow mounting (it needs root).
 */
export function mountTmpfs(t: { after(fn: () => void): void }, size: string): string | undefined {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch {
    fs.rmSync(mountPoint, { recursive: true, force: true });
    return undefined;
  }
  t.after(() => {
    execFileSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}
