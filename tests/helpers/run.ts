/** Shared fixtures for tests that run real child processes against real files. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const SCENARIO = join(ROOT, 'tests/helpers/scenario.ts');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningChild {
  pid: number;
  /** Resolves with the first line the child prints on stdout. */
  firstLine: Promise<string>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<ChildResult>;
}

/** Starts `node --import tsx <script> ...args` and collects its output. */
export function startNode(script: string, args: string[], env: Record<string, string> = {}): RunningChild {
  return startProcess([process.execPath, '--import', 'tsx', script, ...args], { env });
}

/**
 * Starts `argv` (in `cwd`, the repository root by default, with `env` added to ours)
 * and collects its output; with `timeoutMs`, kills it with SIGKILL if it outlives that.
 */
export function startProcess(argv: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): RunningChild {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('startProcess needs a command');
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onLine: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => (onLine = resolve));
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    const end = stdout.indexOf('\n');
    if (end >= 0) onLine(stdout.slice(0, end));
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const done = new Promise<ChildResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      onLine('');
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { pid: child.pid!, firstLine, kill: (signal) => child.kill(signal), done };
}

/** Runs the scenario child to its end. */
export function runScenario(args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
  return startNode(SCENARIO, args, env).done;
}

/** A fresh empty directory, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, name = 'automake-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), name));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The one log file in `dir` (the directory of a single session). */
export function onlyLogFile(dir: string): string {
  const files = readdirSync(dir).filter((name) => name.endsWith('.log'));
  if (files.length !== 1) throw new Error(`Expected one log file in ${dir}, found: ${files.join(', ') || 'none'}`);
  return join(dir, files[0]);
}

// A text record starts with its timestamp; anything else is a continuation line.
export const RECORD_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - \S+ - (DEBUG|INFO|WARNING|ERROR|CRITICAL) - /;

/** The lines of a file, without the empty string after the final newline. */
export function fileLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error(`${file} does not end with a newline: a record was torn`);
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

/**
 * The sequence numbers of the records `<tag> <n>` in a file, in file order.
 * Throws on a line that is not a well-formed record.
 */
export function sequenceOf(file: string, tag: string): number[] {
  const pattern = new RegExp(`^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2},\\d{3} - automake - INFO - ${tag} (\\d+) x{40}$`);
  const numbers: number[] = [];
  for (const line of fileLines(file)) {
    const match = pattern.exec(line);
    if (match) numbers.push(Number(match[1]));
    else if (!RECORD_START.test(line) && !line.startsWith('    ')) throw new Error(`Malformed line in ${file}: ${JSON.stringify(line.slice(0, 200))}`);
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
