/**
 * This run's own logging, as the commands see it: opened first (docs/design.md §5),
 * closed last, and its log removed when nothing was written to it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  initLogging,
  LoggingSetupError,
  resolveSettings,
  type Logger,
  type LogSession,
  type LogSettings,
  type ResolvedSettings,
} from '../logging.ts';
import { CommandError } from './errors.ts';
import type { LogPlace } from './sessions.ts';

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

/** Prunes old logs and opens this run's own, as `initLogging` does. */
export function openRun(): Opened {
  try {
    const session = initLogging();
    const place = { dir: path.dirname(session.filePath), prefix: session.settings.prefix.value, ownPath: session.filePath };
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
 * Closes the session, and removes its log if it is still empty: listing and
 * reading logs write no record, and would otherwise fill the directory with
 * empty logs of looking at logs. A log holding any record is kept: exec's, a
 * prune's or clear's, a failure's, a warning about the environment.
 */
export async function endRun(run: Run): Promise<void> {
  await run.session.close();
  try {
    if (fs.statSync(run.session.filePath).size === 0) fs.unlinkSync(run.session.filePath);
  } catch {
    // Nothing lost if it stays: an empty log, pruned in due course.
  }
}
