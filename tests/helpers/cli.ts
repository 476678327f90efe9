/**
 * Helpers for the command-line tests: the real `lib/main.ts` run in child
 * processes (through child.ts) against a fresh temporary AUTOMAKE_LOG_DIR.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { AS_NOBODY, nodeArgv, ROOT, startChild, type ChildOptions, type ChildResult, type RunningChild } from './child.ts';

const MAIN = path.join(ROOT, 'lib', 'main.ts');
// Generous: two cores running a dozen tsx start-ups at once can be slow.
const RUN_TIMEOUT_MS = 20_000;

/**
 * The node arguments that run the command line with `args`, from the sources through
 * tsx. The built bin is the same modules compiled by tsc; tests/package.test.ts runs it.
 */
export function cliArgv(args: string[]): string[] {
  return nodeArgv(MAIN, args);
}

export interface CliOptions {
  /** AUTOMAKE_LOG_DIR. */
  dir: string;
  /** More environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Without it, runCli gives an empty stdin and startCli leaves it open. */
  input?: string;
  cwd?: string;
  /** A command that execs node as another user (so the PID stays the CLI's): `AS_NOBODY`. */
  runAs?: string[];
  /** Killed with SIGKILL past this; default 20 s. A session meant to outlive a slow test sets more. */
  timeoutMs?: number;
}

/** Why the command line cannot run as nobody here, or undefined when it can. */
export function cannotRunAsNobody(): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'running as another user needs root on Linux';
  const result = spawnSync(AS_NOBODY[0], [...AS_NOBODY.slice(1), process.execPath, ...cliArgv(['--version'])], { encoding: 'utf8' });
  if (result.status === 0) return undefined;
  return `the command line does not run as nobody here: ${(result.stderr || String(result.error)).trim().split('\n')[0]}`;
}

/**
 * The environment of a run: ours without any AUTOMAKE_ variable a developer may
 * have set, plus the test's. No free-space rule unless a test sets one: how full
 * this machine's disk is must not decide which planted logs a test still sees.
 */
export function cliEnv(options: CliOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AUTOMAKE_')) env[name] = value;
  env.AUTOMAKE_LOG_DIR = options.dir;
  env.AUTOMAKE_LOG_MIN_FREE = '0';
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** How a run of the command line is spawned. */
function childOptions(options: CliOptions): ChildOptions {
  return { cwd: options.cwd, env: cliEnv(options), input: options.input, timeoutMs: options.timeoutMs ?? RUN_TIMEOUT_MS };
}

/** Starts the command line with `args`; without `options.input`, stdin stays open until `child.stdin.end()`. */
export function startCli(args: string[], options: CliOptions): RunningChild {
  return startChild([...(options.runAs ?? []), process.execPath, ...cliArgv(args)], childOptions(options));
}

/** Runs the command line with `args` to its end. */
export function runCli(args: string[], options: CliOptions): Promise<ChildResult> {
  return startCli(args, { ...options, input: options.input ?? '' }).done;
}

/**
 * Starts the command line with `args` under a terminal of its own (util-linux
 * `script`, whose `-e` hands back its exit code), as a user at a prompt would.
 * `script` runs its command through $SHELL, which shares the terminal's process
 * group and would get a Ctrl-C's SIGINT too (dash dies of it), so the shell execs
 * the command line instead. Check `HAS_SCRIPT` first.
 */
export function startCliOnTerminal(args: string[], options: CliOptions): RunningChild {
  const shellWords = [process.execPath, ...cliArgv(args)].map((word) => `'${word.replace(/'/g, `'\\''`)}'`);
  const argv = ['script', '-qec', `exec ${shellWords.join(' ')}`, '/dev/null'];
  return startChild(argv, childOptions(options));
}

/** `count` numbered lines, `line 1` … `line <count>`, each ending in a newline. */
export function numberedLines(count: number): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join('');
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
