/**
 * The one way the tests run a child process: `startChild` spawns it and collects
 * its output into a `ChildResult`; `startNode` runs a TypeScript file through tsx.
 * The command-line helpers (cli.ts) and the fault tests' scenario build on these.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (where `package.json`, `node_modules` and `lib/` are). */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');

// tsx by absolute URL, so that a child can run from any working directory.
export const TSX = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;

/** A child script in tests/fixtures/ by its file name. */
export function fixture(name: string): string {
  return path.join(ROOT, 'tests', 'fixtures', name);
}

/** How a child process ended and what it printed. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Whether it was killed for outliving `timeoutMs`. */
  timedOut: boolean;
}

export interface ChildOptions {
  /** Default: the repository root. */
  cwd?: string;
  /** The child's whole environment. Default: ours. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin stays open until `child.stdin.end()`. */
  input?: string;
  /** Killed with SIGKILL (and `timedOut` set) if it runs longer. Default: no limit. */
  timeoutMs?: number;
}

/** A running child, with its output so far. */
export interface RunningChild {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first line the child prints on stdout ('' if it ends without one). */
  firstLine: Promise<string>;
  /** Resolves once stdout contains `text`; rejects if the process ends first. */
  waitForStdout(text: string): Promise<void>;
  done: Promise<ChildResult>;
}

// The longest text waitForStdout looks for.
const WAITED_TEXT_MAX = 4096;

/** Starts `argv[0]` with the rest of `argv` as its arguments and collects its output. */
export function startChild(argv: string[], options: ChildOptions = {}): RunningChild {
  const { cwd = ROOT, env = process.env, input, timeoutMs } = options;
  const child = spawn(argv[0], argv.slice(1), { cwd, env });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  let waiters: { text: string; resolve: () => void }[] = [];
  // The end of what came before the latest data, so that a text cut across two
  // reads is found. Searching all of stdout on every read was quadratic: a
  // 50 MB line took minutes to collect.
  let tail = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    const recent = tail + data;
    tail = recent.slice(-WAITED_TEXT_MAX);
    if (waiters.length === 0) return;
    const found = waiters.filter((w) => recent.includes(w.text));
    waiters = waiters.filter((w) => !found.includes(w));
    for (const waiter of found) waiter.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  // A child may end before it reads its input: what it did is in the result, not in an EPIPE here.
  child.stdin.on('error', () => {});
  if (input !== undefined) child.stdin.end(input);
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  const waitForStdout = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (text.length > WAITED_TEXT_MAX) throw new RangeError(`waitForStdout takes at most ${WAITED_TEXT_MAX} characters`);
      if (stdout.includes(text)) return resolve();
      waiters.push({ text, resolve });
      done.then((result) => reject(new Error(`Ended (code ${result.code}) before printing ${JSON.stringify(text)}: ${JSON.stringify(result)}`)), reject);
    });
  const firstLine = waitForStdout('\n').then(() => stdout.slice(0, stdout.indexOf('\n')), () => '');
  return { child, pid: child.pid!, stdout: () => stdout, stderr: () => stderr, firstLine, waitForStdout, done };
}

/** The node arguments that run the TypeScript file `script` with `args` through tsx. */
export function nodeArgv(script: string, args: string[]): string[] {
  return ['--import', TSX, script, ...args];
}

/** Starts `node --import tsx <script> ...args`; stdin is closed and empty unless `options.input` says otherwise. */
export function startNode(script: string, args: string[], options: ChildOptions = {}): RunningChild {
  return startChild([process.execPath, ...nodeArgv(script, args)], { input: '', ...options });
}

/** Runs `node --import tsx <script> ...args` to its end. */
export function runNode(script: string, args: string[], options: ChildOptions = {}): Promise<ChildResult> {
  return startNode(script, args, options).done;
}

/** The fault tests' child (tests/fixtures/scenario.ts), run to its end with `env` added to ours. */
export function runScenario(args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return runNode(fixture('scenario.ts'), args, { env: { ...process.env, ...env } });
}

/** The last line of a child's stdout parsed as JSON (children print one result line). */
export function lastJsonLine<T>(result: ChildResult): T {
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '') as T;
}

/** Runs `task` for 0 … count-1 with at most `width` running at once. */
export async function inPool<T>(count: number, width: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  return results;
}

// By its full path, so that a test's own PATH does not decide whether it is found.
const SETPRIV = (process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'setpriv')).find((file) => fs.existsSync(file)) ?? 'setpriv';

/** A command prefix that execs the rest as the user nobody, keeping the PID (root only). */
export const AS_NOBODY = [SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups'];
