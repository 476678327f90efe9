/** What `--help` and `help <command>` print, and the usage lines that go with errors. */
import { defaultLogDir, DEFAULTS, ENV_VARIABLES } from '../logging.ts';
import { logFilePattern } from './log-files.ts';
import { DEFAULT_VIEW_LINES } from './merge-records.ts';

interface CommandHelp {
  usage: string;
  text: string;
}

const VARIABLE_WIDTH = Math.max(...Object.values(ENV_VARIABLES).map((name) => name.length)) + 2;
const variable = (name: string) => name.padEnd(VARIABLE_WIDTH);
// The default directory as the core computes it, for a home written `~`.
const defaultDir = (platform: string) => defaultLogDir({ HOME: '~' }, platform);

const ENVIRONMENT = `Environment:
  ${variable(ENV_VARIABLES.dir)}log directory (default ${defaultDir('linux')};
  ${variable('')}${defaultDir('darwin')} on macOS)
  ${variable(ENV_VARIABLES.level)}DEBUG, INFO, WARNING, ERROR or CRITICAL (default ${DEFAULTS.level})
  ${variable(ENV_VARIABLES.retentionDays)}days the log of an ended session is kept (default ${DEFAULTS.retentionDays})
  ${variable(ENV_VARIABLES.format)}text or json (default ${DEFAULTS.format})
  ${variable(ENV_VARIABLES.redact)}on or off: secrets in records become [REDACTED] (default ${DEFAULTS.redact ? 'on' : 'off'})
  ${variable(ENV_VARIABLES.maxSessionBytes)}size at which a session's log keeps only ERROR and
  ${variable('')}CRITICAL records (default one eighth of the total)
  ${variable(ENV_VARIABLES.maxTotalBytes)}size of all logs before the oldest ended ones go
  ${variable('')}(default 10% of the file system, 16 MiB to 1 GiB)
  ${variable(ENV_VARIABLES.minFreeBytes)}free space kept by deleting the oldest ended logs
  ${variable('')}(default 5% of the file system, at most 1 GiB)
Sizes: bytes, or with K, M, G or T (powers of 1024), or unlimited.`;

const HELP: Record<string, CommandHelp> = {
  '': {
    usage: 'automake <command> [options]',
    text: `Run commands as logged sessions, and find, read and clean their logs.
Every run writes its own log file, ${logFilePattern(DEFAULTS.prefix)}.

Commands:
  exec -- CMD [ARGS...]                        run a command as a logged session
  logs [show] [--json]                         list session logs, newest first
  logs view [PID|FILE|--all] [OPTIONS]         print, filter or follow records, of one session or all
  logs prune [--dry-run] [--retention-days N]  delete old logs of ended sessions now
  logs clear [--yes]                           delete the logs of all ended sessions
  logs config                                  show the settings in force and where they come from
  help [COMMAND]                               show help for a command

Options:
  -h, --help     show this help
  --version      print the version

${ENVIRONMENT}

Exit codes: exec exits with the command's code (127 not found, 126 cannot run,
128+N killed by signal N); 2 for a bad command line; 1 for other errors.`,
  },
  exec: {
    usage: 'automake exec -- CMD [ARGS...]',
    text: `Run CMD as a logged session. Its stdin is the terminal's; its stdout and stderr
reach the terminal unchanged and go, line by line, into this session's log
(stdout at INFO as automake.exec.stdout, stderr at WARNING as automake.exec.stderr),
with the command line, working directory, exit code and duration.

Exits with the command's exit code: 127 when it is not found, 126 when it cannot
be run, 128+N when it died of signal N. Ctrl-C reaches the command first; the log
records that the session was interrupted.`,
  },
  logs: {
    usage: 'automake logs [show|view|prune|clear|config] [options]',
    text: `Find, read and clean session logs. Without a subcommand, the same as "logs show".

  logs show [--json]                           list session logs, newest first
  logs view [PID|FILE|--all] [OPTIONS]         print, filter or follow records, of one session or all
  logs prune [--dry-run] [--retention-days N]  delete old logs of ended sessions now
  logs clear [--yes]                           delete the logs of all ended sessions
  logs config                                  show the settings in force

Run "automake help logs <subcommand>" for its options.`,
  },
  'logs show': {
    usage: 'automake logs show [--json]',
    text: `List the session logs in the log directory, newest first: file, PID, start time,
size, age, status (running, exit N, signal NAME, or "no end record" for a session
that was killed or crashed), when the log becomes due for pruning, and the
command the session ran. This command's own log is left out. The heading gives
what the logs add up to against the budget (max total size); a log as big as the
max session size in force is marked "(size limit)": it stopped taking records
below ERROR.

Options:
  --json    print a JSON array instead of a table, for scripts`,
  },
  'logs view': {
    usage: 'automake logs view [PID|FILE|--all] [-n N] [-f] [--level LEVEL] [--since TIME] [--until TIME] [--grep REGEX] [--json]',
    text: `Print the last records of a session log, bare, so that they pipe well; a record
is its first line and the indented lines under it. The log is the newest one that
is neither this command's own nor another logs command's, or the newest log of
the session with that PID, or FILE (a name in the log directory, or a path to one).

Options:
  --all             every session's records, merged by time, each led by its PID
  -n, --lines N     how many records (default ${DEFAULT_VIEW_LINES}; with --since or --until, all of them)
  -f, --follow      keep printing records as they are written: until the session
                    ends, or with --all until Ctrl-C, picking up new sessions
  --level LEVEL     only LEVEL and above (DEBUG, INFO, WARNING, ERROR, CRITICAL)
  --since TIME      only records from TIME: YYYY-MM-DD[ HH:MM[:SS]] in local time,
  --until TIME      or up to TIME; or a time ago such as 30s, 10m, 2h, 3d
  --grep REGEX      only records that match, case-insensitively
  --json            one pino-shaped JSON object per record, whatever the log's format

Colour on a terminal only; NO_COLOR turns it off, FORCE_COLOR on.`,
  },
  'logs prune': {
    usage: 'automake logs prune [--dry-run] [--retention-days N] [--max-total SIZE]',
    text: `Delete the logs of ended sessions that are older than the retention period, as
every run does at startup, and print what was deleted and any file that could not be.
Every run also keeps the logs within the budget at startup; --max-total applies a
smaller one now: the oldest ended sessions' logs go until the rest fit.

Options:
  --dry-run             print what would be deleted, delete nothing
  --retention-days N    a retention other than the one in force (fractions allowed)
  --max-total SIZE      delete the oldest ended sessions' logs until all logs add up
                        to at most SIZE (500M, 2G: powers of 1024)`,
  },
  'logs clear': {
    usage: 'automake logs clear [--yes]',
    text: `Delete the logs of all ended sessions, whatever their age. The log of a running
session is never deleted. On a terminal it lists them and asks first; otherwise it
refuses unless --yes is given.

Options:
  -y, --yes    delete without asking`,
  },
  'logs config': {
    usage: 'automake logs config',
    text: `Show the log directory, level, retention, format, file pattern and size limits in
force, and where each value came from: the environment or the default.

${ENVIRONMENT}`,
  },
  help: {
    usage: 'automake help [COMMAND]',
    text: 'Show help for a command: exec, logs, logs show, logs view, logs prune, logs clear or logs config.',
  },
};

/** Whether `command` (`logs view`) has a help page. */
export function hasHelp(command: string): boolean {
  return Object.hasOwn(HELP, command);
}

/** The full help of `command` ('' for the program's). */
export function helpText(command: string): string {
  const help = HELP[command];
  return `Usage: ${help.usage}\n\n${help.text}\n`;
}

/** The usage lines printed under an error about `command`. */
export function usageText(command: string): string {
  const help = Object.hasOwn(HELP, command) ? HELP[command] : HELP[''];
  const more = command === '' ? 'automake --help' : `automake help ${command}`;
  return `Usage: ${help.usage}\nRun "${more}" for more.\n`;
}

/** Prints the full help of `command` on stdout; the exit code of a help request, 0. */
export function printHelp(command: string): number {
  process.stdout.write(helpText(command));
  return 0;
}
