/** What `--help` and `help <command>` print, and the usage lines that go with errors. */
import { defaultLogDir, DEFAULTS, ENV_VARIABLES } from '../logging.ts';
import { logFilePattern } from './sessions.ts';
import { DEFAULT_VIEW_LINES } from './tail.ts';

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
  ${variable(ENV_VARIABLES.redact)}on or off: secrets in records become [REDACTED] (default ${DEFAULTS.redact ? 'on' : 'off'})`;

const HELP: Record<string, CommandHelp> = {
  '': {
    usage: 'automake <command> [options]',
    text: `Run commands as logged sessions, and find, read and clean their logs.
Every run writes its own log file, ${logFilePattern(DEFAULTS.prefix)}.

Commands:
  exec -- CMD [ARGS...]                        run a command as a logged session
  logs [show] [--json]                         list session logs, newest first
  logs view [PID|FILE] [-n N] [-f]             print the end of a session log, or follow it
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
  logs view [PID|FILE] [-n N] [-f]             print the end of a session log, or follow it
  logs prune [--dry-run] [--retention-days N]  delete old logs of ended sessions now
  logs clear [--yes]                           delete the logs of all ended sessions
  logs config                                  show the settings in force

Run "automake help logs <subcommand>" for its options.`,
  },
  'logs show': {
    usage: 'automake logs show [--json]',
    text: `List the session logs in the log directory, newest first: file, PID, start time,
size, age, whether the session is running or ended, and when the log becomes due
for pruning. This command's own log is left out.

Options:
  --json    print a JSON array instead of a table, for scripts`,
  },
  'logs view': {
    usage: 'automake logs view [PID|FILE] [-n N] [-f]',
    text: `Print the last lines of a session log, bare, so that they pipe well. The log is
the newest non-empty one other than this command's own, or the newest log of the
session with that PID, or FILE (a name in the log directory, or a path to one).

Options:
  -n, --lines N   how many lines (default ${DEFAULT_VIEW_LINES})
  -f, --follow    keep printing lines as they are written, until Ctrl-C or until
                  the file is deleted`,
  },
  'logs prune': {
    usage: 'automake logs prune [--dry-run] [--retention-days N]',
    text: `Delete the logs of ended sessions that are older than the retention period, as
every run does at startup, and print what was deleted and any file that could not be.

Options:
  --dry-run             print what would be deleted, delete nothing
  --retention-days N    a retention other than the one in force (fractions allowed)`,
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
    text: `Show the log directory, level, retention, format and file pattern in force, and
where each value came from: the environment or the default.

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
