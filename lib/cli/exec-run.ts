/**
 * Running a command for `exec` (lib/cli/exec.ts): its output goes to the terminal
 * unchanged and, line by line, into the log; signals reach it; its end is logged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { isatty } from 'node:tty';
import { errorCode, errorMessage, EXIT_SIGNALS, logPastSizeLimit, shellQuote, type LevelName, type Logger } from '../logging.ts';
import { formatDuration, formatLimit } from './format.ts';
import { printStderr } from './output.ts';

// A line longer than this many bytes (a progress bar redrawn with \r, binary
// output) is logged in pieces rather than held in memory until its newline comes.
const MAX_LINE_BYTES = 64 * 1024;
// Once the command has exited its output is read until the pipes close; a
// process it left running in the background may hold them open for ever, so
// capture stops after this long without output.
const OUTPUT_IDLE_MS = 1000;
// How long a command killed by SIGINT or SIGQUIT on a terminal waits for our own copy of that signal.
const TERMINAL_SIGNAL_GRACE_MS = 100;

/** How a run ended: the exit code to exit with, and a one-line error when the command could not be started. */
export interface ExecResult {
  exitCode: number;
  error?: string;
}

/**
 * Runs `command` with the terminal's stdin; copies its stdout and stderr to ours
 * unchanged and logs them line by line (stdout at INFO, stderr at WARNING, each
 * under a logger named after its stream); logs the command line, working
 * directory, exit code or signal, and duration.
 */
export async function runLoggedCommand(command: string, args: string[], logger: Logger, maxSessionBytes: number): Promise<ExecResult> {
  const startedMs = Date.now();
  logger.info(`Running: ${shellQuote([command, ...args])}`, { cwd: process.cwd() });
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['inherit', 'pipe', 'pipe'] });
  } catch (error) {
    return cannotRun(command, error, logger);
  }
  const signals = relaySignals(child);
  const output = captureOutput(child, logger, sizeLimitNotice(logger, maxSessionBytes));
  const ended = await waitForExit(child);
  if ('error' in ended) {
    signals.release();
    return cannotRun(command, ended.error, logger);
  }
  if (!(await output.finish(OUTPUT_IDLE_MS))) {
    logPastSizeLimit(logger, 'WARNING', 'The command exited but a process it started still holds its output open: stopped capturing it');
  }
  await signals.settle(ended.signal);
  signals.release();
  return { exitCode: logEnd(logger, ended, signals.interruptedBy(), child.pid, Date.now() - startedMs) };
}

type Ended = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

function waitForExit(child: ChildProcess): Promise<Ended> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // 'error' also reports a failed kill(); only a child without a PID failed to start.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ error });
    });
  });
}

/** Whether some directory in PATH that we may enter holds a file named `command`. */
function isInPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      return fs.statSync(path.join(dir || '.', command)).isFile();
    } catch {
      return false;
    }
  });
}

/** What a shell would say and exit with: 127 when the command is not found, 126 when it cannot be run. */
function cannotRun(command: string, error: unknown, logger: Logger): ExecResult {
  const code = errorCode(error);
  const hasPath = command.includes('/');
  let reason: string;
  let exitCode = 126;
  if (code === 'ENOENT' && hasPath && fs.existsSync(command)) {
    // The file is there; what is missing is the interpreter its #! line names.
    reason = 'its interpreter was not found';
  } else if (code === 'ENOENT') {
    reason = hasPath ? 'no such file' : 'command not found';
    exitCode = 127;
  } else if (code === 'EACCES' && !hasPath && !isInPath(command)) {
    // The search met a directory in PATH it may not enter and found the command
    // nowhere else; bash calls that not found (127), and so do we.
    reason = 'command not found';
    exitCode = 127;
  } else if (code === 'EACCES') {
    reason = 'permission denied';
  } else {
    reason = errorMessage(error);
  }
  const message = `Cannot run ${command}: ${reason}`;
  logger.error(message, { code, exitCode });
  return { exitCode, error: message };
}

/**
 * While the command runs, the exit signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT)
 * are the command's to act on: we pass them on, wait for it to end, and
 * remember the first one, which its end record names.
 */
function relaySignals(child: ChildProcess): {
  interruptedBy(): NodeJS.Signals | undefined;
  settle(killedBy: NodeJS.Signals | null): Promise<void>;
  release(): void;
} {
  let first: NodeJS.Signals | undefined;
  let received = () => {};
  // isatty, not process.stdin.isTTY: creating process.stdin would start reading the terminal the command owns.
  const onTerminal = isatty(0);
  const onSignal = (signal: NodeJS.Signals) => {
    first ??= signal;
    received();
    // Ctrl-C (and Ctrl-\) on a terminal goes to the whole foreground process
    // group, so the command has it already; a second copy reads as "press again
    // to force quit" to many programs.
    if ((signal === 'SIGINT' || signal === 'SIGQUIT') && onTerminal) return;
    child.kill(signal);
  };
  for (const signal of EXIT_SIGNALS) process.on(signal, onSignal);
  return {
    interruptedBy: () => first,
    /**
     * Ctrl-C (or Ctrl-\) on a terminal reaches the command and us at once, but
     * the command's exit can be handled before our own copy of the signal: when
     * the command died of one and ours has not come, it is waited for, briefly.
     */
    settle: (killedBy) => {
      if (first !== undefined || !onTerminal || (killedBy !== 'SIGINT' && killedBy !== 'SIGQUIT')) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, TERMINAL_SIGNAL_GRACE_MS);
        received = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
    release: () => {
      for (const signal of EXIT_SIGNALS) process.off(signal, onSignal);
    },
  };
}

/**
 * Copies the command's stdout and stderr to ours and into the log. `finish`
 * waits for both pipes to close, or gives up after `idleMs` without output
 * (resolving false), once the command has exited.
 */
function captureOutput(child: ChildProcess, logger: Logger, beforeLogging: BeforeLogging): { finish(idleMs: number): Promise<boolean> } {
  const stdoutLogger = logger.child('stdout');
  const stderrLogger = logger.child('stderr');
  const streams = [child.stdout!, child.stderr!];
  const closed = Promise.all([
    copyStream(child.stdout!, process.stdout, stdoutLogger, 'INFO', beforeLogging),
    copyStream(child.stderr!, process.stderr, stderrLogger, 'WARNING', beforeLogging),
  ]);
  return {
    async finish(idleMs) {
      const whole = await closedOrIdle(streams, closed, idleMs);
      if (!whole) {
        for (const stream of streams) stream.destroy();
        await closed;
      }
      return whole;
    },
  };
}

/** Called before each block of output is logged, under the stream's logger at its level. */
type BeforeLogging = (logger: Logger, level: LevelName) => void;

/**
 * Says once on stderr that the log reached its size limit (docs/design.md §6):
 * the first time a block of output goes to a level the log took when the
 * command started and takes no more.
 */
function sizeLimitNotice(logger: Logger, maxSessionBytes: number): BeforeLogging {
  // Both output levels are checked on the exec logger: its children share its session's threshold.
  const taken = new Set<LevelName>((['INFO', 'WARNING'] as const).filter((level) => logger.isEnabledFor(level)));
  let told = false;
  return (streamLogger, level) => {
    if (told || !taken.has(level) || streamLogger.isEnabledFor(level)) return;
    told = true;
    printStderr(`the session log reached its size limit (${formatLimit(maxSessionBytes)}): later output goes to the terminal only`);
  };
}

/** Copies `from` to `to` byte for byte and logs it, a record per line, at `level`; resolves when `from` closes. */
function copyStream(from: Readable, to: NodeJS.WriteStream, logger: Logger, level: LevelName, beforeLogging: BeforeLogging): Promise<void> {
  const lines = new LineSplitter((text, continued) => {
    // Past the size limit the logger counts what it drops; the notice is ours to give.
    beforeLogging(logger, level);
    // A piece of an over-long line is always text.
    if (continued && typeof text === 'string') logger.log(level, text, { continued: true });
    else logger.lines(level, text);
  });
  // Our own output closed (`automake exec -- yes | head -1`): close the command's
  // pipe as well, so that it gets SIGPIPE as it would in the shell pipeline.
  const onOutputError = () => from.destroy();
  to.on('error', onOutputError);
  from.on('data', (chunk: Buffer) => {
    lines.push(chunk);
    if (to.destroyed) return;
    // A slow terminal holds the command back rather than have us queue its output.
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  return new Promise((resolve) => {
    from.once('close', () => {
      lines.end();
      to.off('error', onOutputError);
      resolve();
    });
  });
}

/** Resolves true when `closed` does, or false after `idleMs` with no data and no stream held back by a slow terminal. */
function closedOrIdle(streams: Readable[], closed: Promise<unknown>, idleMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout;
    const onIdle = () => {
      if (streams.some((stream) => stream.isPaused() && !stream.destroyed)) return arm();
      done(false);
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleMs);
    };
    const done = (whole: boolean) => {
      clearTimeout(timer);
      for (const stream of streams) stream.off('data', arm);
      resolve(whole);
    };
    for (const stream of streams) stream.on('data', arm);
    arm();
    closed.then(() => done(true));
  });
}

/** Logs how the command ended and returns the exit code to exit with: its own, or 128+N for signal N, as a shell does. */
function logEnd(
  logger: Logger,
  ended: { code: number | null; signal: NodeJS.Signals | null },
  interruptedBy: NodeJS.Signals | undefined,
  pid: number | undefined,
  durationMs: number,
): number {
  const signal = ended.signal ?? undefined;
  const exitCode = ended.code ?? 128 + (signal === undefined ? 0 : osConstants.signals[signal] ?? 0);
  const how = signal === undefined ? `exited with code ${exitCode}` : `was killed by ${signal}`;
  const what = `${how} after ${formatDuration(durationMs)}`;
  // Only the fields that apply: a text record would show an absent one as "undefined".
  const fields: Record<string, unknown> = { exitCode };
  if (signal !== undefined) fields.signal = signal;
  if (interruptedBy !== undefined) fields.interruptedBy = interruptedBy;
  // Not `pid`: in a JSON record that is the session's own PID.
  if (pid !== undefined) fields.commandPid = pid;
  fields.durationMs = durationMs;
  // Past the session's size limit too: it is the record a reader of the log looks for (docs/design.md §6).
  if (interruptedBy !== undefined) logPastSizeLimit(logger, 'WARNING', `Interrupted by ${interruptedBy}: the command ${what}`, fields);
  else if (exitCode !== 0) logPastSizeLimit(logger, 'WARNING', `Command ${what}`, fields);
  else logPastSizeLimit(logger, 'INFO', `Command ${what}`, fields);
  return exitCode;
}

/**
 * Splits a byte stream into lines of text. Decoding keeps a character split
 * across two chunks whole; a trailing `\r` (CRLF output) is dropped; a last line
 * without a newline comes out at `end()`.
 */
export class LineSplitter {
  private readonly onLines: (lines: string | Uint8Array, continued: boolean) => void;
  // The start of a line whose newline has not come yet.
  private partial: Buffer = Buffer.alloc(0);

  /**
   * `onLines` gets whole lines in blocks, joined by `\n` (one call per block of about
   * BLOCK_BYTES, not per line: a command's output can be a million lines), as the
   * bytes read (a view, valid during the call) or, for a block with a carriage
   * return, as text; or one piece of an over-long line, as text, with `continued` set.
   */
  constructor(onLines: (lines: string | Uint8Array, continued: boolean) => void) {
    this.onLines = onLines;
  }

  push(chunk: Buffer): void {
    // A newline byte is never part of a longer UTF-8 character, so cutting at
    // newlines never splits one: each block decodes on its own.
    let data = chunk;
    let start = 0;
    if (this.partial.length > 0) {
      // The line the last chunk left open is joined to a short first block only, not to the whole chunk.
      const end = lastNewline(chunk, 0, FIRST_BLOCK_BYTES);
      if (end < 0) {
        data = Buffer.concat([this.partial, chunk]);
      } else {
        this.emitLines(Buffer.concat([this.partial, chunk.subarray(0, end)]));
        start = end + 1;
      }
    }
    for (let end = lastNewline(data, start); end >= 0; end = lastNewline(data, start)) {
      this.emitLines(data.subarray(start, end));
      start = end + 1;
    }
    let rest = data.subarray(start);
    while (rest.length > MAX_LINE_BYTES) {
      const cut = characterStart(rest, MAX_LINE_BYTES);
      this.onLines(rest.toString('utf8', 0, cut), true);
      rest = rest.subarray(cut);
    }
    // A copy: a view would keep the whole chunk in memory.
    this.partial = Buffer.from(rest);
  }

  end(): void {
    const rest = this.partial;
    this.partial = Buffer.alloc(0);
    if (rest.length > 0) this.emitLines(rest);
  }

  /** Hands on whole lines as one block, each without the carriage return of a CRLF ending. */
  private emitLines(block: Buffer): void {
    if (!block.includes(0x0d)) return this.onLines(block, false);
    const lines = block.toString('utf8').replaceAll('\r\n', '\n');
    this.onLines(lines.endsWith('\r') ? lines.slice(0, -1) : lines, false);
  }
}

// Whole lines are handed on in blocks of about this many bytes (half a read from
// a pipe): a block costs one call instead of hundreds, and its records stay well
// within what Logger.lines builds from bytes in one go (128 KiB of lines).
const BLOCK_BYTES = 32 * 1024;

// The first block of a chunk, which starts with the line the chunk before left
// open, is copied to join the two: only this much of the chunk goes with it.
const FIRST_BLOCK_BYTES = 8 * 1024;

/** The last newline within `size` bytes of `start` (or the first after them, for a longer line); -1 if none. */
function lastNewline(data: Buffer, start: number, size = BLOCK_BYTES): number {
  if (data.length - start <= size) {
    const last = data.lastIndexOf(0x0a);
    return last >= start ? last : -1;
  }
  const within = data.lastIndexOf(0x0a, start + size);
  return within >= start ? within : data.indexOf(0x0a, start + size);
}

/** `at`, or the start of the UTF-8 character it is inside of (at most 3 bytes back). */
function characterStart(data: Buffer, at: number): number {
  for (let back = 0; back < 3 && (data[at]! & 0xc0) === 0x80; back++) at--;
  return at;
}
