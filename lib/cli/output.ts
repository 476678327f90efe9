/** Writing for the user: data on stdout, waiting until it is taken; one-line messages on stderr. */

/** Writes to stdout and waits until it is taken; false when stdout is closed. */
export function writeOut(data: Buffer | string): Promise<boolean> {
  if (process.stdout.destroyed) return Promise.resolve(false);
  if (data.length === 0) return Promise.resolve(true);
  return new Promise((resolve) => process.stdout.write(data, (error) => resolve(!error)));
}

/** `automake: <message>` on stderr, and `more` (usage lines) after it, in one write. */
export function printStderr(message: string, more = ''): void {
  process.stderr.write(`automake: ${message}\n${more}`);
}
