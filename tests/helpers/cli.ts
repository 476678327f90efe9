/**
 * Fixtures for the command-line tests: the real `lib/main.ts` run in child
 * processes against a fresh temporary AUTOMAKE_LOG_DIR.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TestContext } from 'node:test';

import { AS_NOBODY } from './fixtures.ts';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const MAIN = path.join(ROOT, 'lib', 'main.ts');
// tsx by absolute URL, so that the command line can run from any working directory.
const TSX = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;
// Generous: two cores running a dozen tsx start-ups at once can be slow.
const RUN_TIMEOUT_MS = 20_000;

/** The node arguments that run the command line with `args`. */
export function cliArgv(args: string[]): string[] {
  return ['--import', TSX, MAIN, ...args];
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** AUTOMAKE_LOG_DIR. */
  dir: string;
  /** More environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; without it stdin is empty. */
  input?: string;
  cwd?: string;
  /** A command that execs node as another user (so the PID stays the CLI's): `AS_NOBODY`. */
  runAs?: string[];
}

/** Why the command line cannot run as nobody here, or undefined when it can. */
export function cannotRunAsNobody(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'running as another user needs root on Linux';
  const result = spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), process.execPath, ...cliArgv(['--version'])], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  return `the command line does not run as nobody here: ${(result.stderr || String(result.error)).trim().split('\n')[0]}`;
}

/** The environment of a run: ours without any AUTOMAKE_ variable a developer may have set, plus the test's. */
export function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AUTOMAKE_')) env[name] = value;
  env.AUTOMAKE_LOG_DIR = options.dir;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** A running command line, with its output so far. */
export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`; rejects if the process ends first. */
  waitForStdout(text: string): Promise<void>;
  done: Promise<CliResult>;
}

/** Starts the command line with `args`; stdin stays open until `child.stdin.end()`. */
export function startCli(args: string[], options: CliOptions): RunningCli {
  const argv = [...(options.runAs ?? []), process.execPath, ...cliArgv(args)];
  const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd ?? ROOT, env: cliEnv(options) });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    for (const waiter of waiters.filter((w) => stdout.includes(w.text))) waiter.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) return resolve();
        waiters.push({ text, resolve });
        done.then((result) => reject(new Error(`Ended (code ${result.code}) before printing ${JSON.stringify(text)}: ${JSON.stringify(result)}`)));
      }),
    done,
  };
}

/** Runs the command line with `args` to its end. */
export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  const running = startCli(args, options);
  running.child.stdin.end(options.input ?? '');
  return running.done;
}

/** A fresh empty log directory, removed when the test ends. */
export function makeLogDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-cli-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The names of the session logs in `dir`, sorted. */
export function logNames(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => /^automake_\d{4}-\d{2}-\d{2}_\d+\.log$/.test(name)).sort();
}

/** `YYYY-MM-DD` in local time, as log names hold it. */
export function localDate(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * The log file the process `pid` wrote in `dir`, found by its PID, since its date
 * is the day the session started: a test that runs across midnight must still find
 * it. Where there is none, the name it would have today.
 */
export function logOf(dir: string, pid: number): string {
  const ofPid = new RegExp(`^automake_\\d{4}-\\d{2}-\\d{2}_${pid}\\.log$`);
  const names = fs.readdirSync(dir).filter((name) => ofPid.test(name));
  if (names.length > 1) throw new Error(`More than one log for PID ${pid} in ${dir}: ${names.join(', ')}`);
  return path.join(dir, names[0] ?? `automake_${localDate()}_${pid}.log`);
}

/** The PID of a process that has just ended: the PID of a session that is over. */
export function endedPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  if (result.pid === undefined || result.status !== 0) throw new Error('Could not run a short process');
  return result.pid;
}

/** Writes the log of an ended session into `dir` and returns its path. */
export function plantEndedLog(dir: string, content: string, date = localDate()): string {
  const file = path.join(dir, `automake_${date}_${endedPid()}.log`);
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** `count` numbered lines, `line 1` … `line <count>`, each ending in a newline. */
export function numberedLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join('');
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function waitUntil(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await delay(25);
  }
}

/** Whether util-linux `script` is here to give a command a terminal. */
export const HAS_SCRIPT = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

/** The command line as one shell word string, for `script -c`. */
export function cliShellCommand(args: string[]): string {
  return [process.execPath, ...cliArgv(args)].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
}
