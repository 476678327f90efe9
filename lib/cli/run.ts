/**
 * This run's own logging, as the commands see it: opened first (docs/design.md §5),
 * closed last with the code the run exits with, and its log removed when it
 * holds nothing worth keeping (§10).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  initLogging,
  LEVEL_VALUES,
  LoggingSetupError,
  resolveSettings,
  type Logger,
  type LogSession,
  type LogSettings,
  type ResolvedSettings,
} from '../logging.ts';
import { CommandError } from './errors.ts';
import type { LogPlace } from './log-files.ts';
import { CLI_HEADER_FIELD } from './summary.ts';

/** What a command needs: the session, and where the logs are. */
export interface Run {
  session: LogSession;
  place: LogPlace;
}

/**
 * This run's logging; or, when it could not be set up, why, and the settings as
 * far as they resolve (help and `logs config` work without a session).
 */
export type Opened = { run: Run } | { setupError: LoggingSetupError; resolved?: ResolvedSettings };

/** Prunes old logs and opens this run's own, as `initLogging` does; its header names the command line's `version`. */
export function openRun(version: string): Opened {
  try {
    const session = initLogging({ header: { [CLI_HEADER_FIELD]: version } });
    const place = { dir: path.dirname(session.filePath), prefix: session.settings.prefix.value, own: session.identity };
    return { run: { session, place } };
  } catch (error) {
    if (!(error instanceof LoggingSetupError)) throw error;
    try {
      return { setupError: error, resolved: resolveSettings() };
    } catch {
      // No log directory at all: the setup error says so.
      return { setupError: error };
    }
  }
}

/** The warnings about environment values the core ignored as invalid. */
export function settingWarnings(opened: Opened): readonly string[] {
  return 'run' in opened ? opened.run.session.warnings : opened.resolved?.warnings ?? [];
}

/**
 * The run, for the commands that work on the log directory. When logging is
 * disabled (docs/design.md §7) they still work, on the directory the settings
 * name, with a session that logs nowhere; only without a directory at all (no
 * home) do they fail, saying why.
 */
export function needRun(opened: Opened): Run {
  if ('run' in opened) return opened.run;
  if (opened.resolved === undefined) throw new CommandError(opened.setupError.message);
  const { settings, warnings } = opened.resolved;
  const session: LogSession = {
    filePath: '',
    logger: NOWHERE,
    pruned: { deleted: [], kept: 0, errors: [], deletedBytes: 0, totalBytes: 0 },
    dropped: 0,
    // No file has these: nothing in the directory is taken for this run's own.
    identity: { dev: -1, ino: -1 },
    highestLevel: undefined,
    settings,
    warnings,
    flushSync() {},
    close: () => Promise.resolve(),
  };
  return { session, place: { dir: path.resolve(settings.dir.value), prefix: settings.prefix.value } };
}

/** The root logger of this run; one that writes nowhere when logging is disabled, so that `exec` still runs. */
export function runLogger(opened: Opened): Logger {
  return 'run' in opened ? opened.run.session.logger : NOWHERE;
}

/** A logger that drops every record. */
const NOWHERE: Logger = {
  name: 'automake',
  debug() {},
  info() {},
  warning() {},
  warn() {},
  error() {},
  critical() {},
  log() {},
  lines() {},
  isEnabledFor: () => false,
  child: () => NOWHERE,
};

/** The settings in force, with or without a session; the setup error when not even they resolve (no home directory). */
export function settingsInForce(opened: Opened): LogSettings {
  if ('run' in opened) return opened.run.session.settings;
  if (opened.resolved !== undefined) return opened.resolved.settings;
  throw new CommandError(opened.setupError.message);
}

/**
 * Closes the session with the code the run exits with, for its end record.
 * A run of any command but `exec` then removes its log unless it logged a
 * WARNING or worse (a failure, a bad value in the environment): looking at
 * logs would otherwise fill the directory with logs of looking at logs. The
 * notice of the Ctrl-C that ends `logs view -f` does not count.
 */
export async function endRun(run: Run, exitCode: number, command: string | undefined): Promise<void> {
  await run.session.close(exitCode);
  const highest = run.session.highestLevel;
  if (command === 'exec' || (highest !== undefined && LEVEL_VALUES[highest] >= LEVEL_VALUES.WARNING)) return;
  try {
    // Only while the name is still our file: never another session's log (§12).
    const stats = fs.lstatSync(run.session.filePath);
    if (stats.dev === run.session.identity.dev && stats.ino === run.session.identity.ino) fs.unlinkSync(run.session.filePath);
  } catch {
    // Nothing lost if it stays: a short log, pruned in due course.
  }
}
