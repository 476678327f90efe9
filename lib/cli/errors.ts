/** The two ways a command fails: the user's typing (exit code 2) or the world (exit code 1). */

/** A bad command line: printed as one line plus the usage of `command`; exit code 2. */
export class UsageError extends Error {
  /** The command whose usage goes with the message (`logs view`), or '' for the program's. */
  readonly command: string;
  constructor(message: string, command: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** A failure that is not the user's typing (a directory that cannot be read): one line on stderr, exit code 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}
