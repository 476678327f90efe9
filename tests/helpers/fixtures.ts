/**
 * Shared fixtures for the tests of the vendorable core (naming, options, format,
 * prune, vendor, open): fresh temporary directories, the record-start pattern,
 * PIDs that cannot be alive, and child processes run through tsx.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TestContext } from 'node:test';

/** The repository root (where `node_modules` and `lib/` are). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The start of a text record, as design.md §2 defines it. */
export const RECORD_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - /;

/** A new empty directory under the system temp dir, removed when the test ends. */
export function makeTempDir(t: TestContext, label = 'automake-core-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), label));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// By its full path, so that a test's own PATH does not decide whether it is found.
const SETPRIV = (process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'setpriv')).find((file) => fs.existsSync(file)) ?? 'setpriv';

/** A command prefix that execs the rest as the user nobody, keeping the PID (root only). */
export const AS_NOBODY = [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups'];

/** `YYYY-MM-DD` of `date` in local time, written independently of the implementation. */
export function localDateString(date: Date): string {
  const yyyy = String(date.getFullYear()).padStart(4, '0');
  const mm = String(date.getMonth() + 1).padStart(2, '0');
  const dd = String(date.getDate()).padStart(2, '0');
  return `${yyyy}-${mm}-${dd}`;
}

/** The lines of a file, without the empty string after the final newline. */
export function readLines(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The lines of a file that start a text record. */
export function recordStarts(file: string): string[] {
  return readLines(file).filter((line) => RECORD_START.test(line));
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

/** A file's age origin as design.md §3 defines it, read independently of `logFileTime`. */
export function fileTimeOf(file: string): number {
  const stats = fs.lstatSync(file);
  return Number.isFinite(stats.birthtimeMs) && stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.mtimeMs;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs `node --import tsx <args>` from the repository root and collects its
 * output; kills it (and says so) if it outlives `timeoutMs`.
 */
export function runTsx(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<ChildResult> {
  const { timeoutMs = 15_000, env = process.env, cwd = REPO_ROOT } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The last line of a child's stdout parsed as JSON (children print one result line). */
export function lastJsonLine<T>(result: ChildResult): T {
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '') as T;
}
