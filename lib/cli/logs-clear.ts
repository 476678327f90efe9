/**
 * `logs clear [--yes]` (docs/design.md §5): deletes the logs of every ended
 * session, whatever their age; never a running session's, checked again just
 * before each delete.
 */
import { parseCommandArgs } from './args.ts';
import { UsageError } from './errors.ts';
import { count, formatSize } from './format.ts';
import { printHelp } from './help.ts';
import { deleteEndedSessionLog, listSessionLogs, type SessionLog } from './log-files.ts';
import { printStderr, writeOut } from './output.ts';
import { askYesNo } from './prompt.ts';
import type { Run } from './run.ts';

/** `logs clear [--yes]`: deletes the logs of every ended session; asks on a terminal, else needs --yes. */
export async function logsClearCommand(args: string[], run: Run): Promise<number> {
  const { values } = parseCommandArgs(args, { yes: { type: 'boolean', short: 'y' } }, 'logs clear', 0);
  if (values.help) return printHelp('logs clear');
  const ended = listSessionLogs(run.place).filter((log) => !log.running && !log.own);
  if (ended.length === 0) {
    await writeOut(`No logs of ended sessions in ${run.place.dir}\n`);
    return 0;
  }
  const what = `${count(ended.length, 'log')} of ended sessions (${formatSize(ended.reduce((sum, log) => sum + log.size, 0))})`;
  if (!values.yes) {
    if (!process.stdin.isTTY) throw new UsageError(`Refusing to delete ${what} without --yes: stdin is not a terminal`, 'logs clear');
    await writeOut(ended.map((log) => `  ${log.name}  ${formatSize(log.size)}\n`).join(''));
    const answer = await askYesNo(`Delete ${ended.length === 1 ? 'this log' : `these ${ended.length} logs`}? [y/N] `);
    if (answer !== 'yes') {
      await writeOut('Nothing deleted\n');
      return answer === 'interrupted' ? 130 : 0;
    }
  }
  return deleteEndedLogs(ended, run);
}

async function deleteEndedLogs(logs: SessionLog[], run: Run): Promise<number> {
  let deleted = 0;
  let failed = 0;
  for (const log of logs) {
    const outcome = deleteEndedSessionLog(log);
    if (outcome.status === 'deleted') {
      deleted++;
      run.session.logger.child('logs').info('Cleared session log', { file: log.path });
    } else if (outcome.status === 'running') {
      await writeOut(`Kept ${log.name}: its session may be running again\n`);
    } else if (outcome.status === 'failed') {
      failed++;
      printStderr(`Could not delete ${log.name}: ${outcome.message}`);
    }
  }
  await writeOut(`Deleted ${count(deleted, 'log')} of ended sessions\n`);
  return failed > 0 ? 1 : 0;
}
