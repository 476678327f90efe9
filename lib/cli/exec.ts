/**
 * `exec`: running a command as a logged session. The arguments are read here; the
 * running itself (lib/cli/exec-run.ts) is loaded only when a command is run, so that
 * the other commands never load node:child_process and what it brings (docs/design.md
 * §10 "Starts fast").
 */
import type { Logger } from '../logging.ts';
import { parseCommandArgs } from './args.ts';
import { UsageError } from './errors.ts';
import { printHelp } from './help.ts';
import { printStderr } from './output.ts';

/**
 * `exec -- CMD [ARGS...]`: runs CMD under `logger`, and returns the exit code to
 * exit with. The `--` may be left out when CMD does not start with a dash.
 * `maxSessionBytes` is the session's size limit, named when the log reaches it.
 */
export async function execCommand(args: string[], logger: Logger, maxSessionBytes: number): Promise<number> {
  let split = args.findIndex((arg) => arg === '--' || !arg.startsWith('-'));
  if (split < 0) split = args.length;
  const { values } = parseCommandArgs(args.slice(0, split), {}, 'exec', 0);
  if (values.help) return printHelp('exec');
  const commandLine = args[split] === '--' ? args.slice(split + 1) : args.slice(split);
  if (commandLine.length === 0) throw new UsageError('Missing command to run', 'exec');
  const { runLoggedCommand } = await import('./exec-run.ts');
  const result = await runLoggedCommand(commandLine[0], commandLine.slice(1), logger, maxSessionBytes);
  if (result.error !== undefined) printStderr(result.error);
  return result.exitCode;
}

