/**
 * `logs prune` (docs/design.md §3, §6): the startup pruner, now, perhaps with a
 * shorter retention or a smaller budget; what this run's own startup prune
 * deleted is listed too.
 */
import * as path from 'node:path';
import { pruneOldLogs, type PruneReport } from '../logging.ts';
import { parseCommandArgs, parseRetentionDays, parseSizeFlag } from './args.ts';
import { pruneSummary, sortedNames } from './format.ts';
import { printHelp } from './help.ts';
import { listSessionLogs } from './log-files.ts';
import { printStderr, writeOut } from './output.ts';
import type { Run } from './run.ts';

/**
 * `logs prune [--dry-run] [--retention-days N] [--max-total SIZE]`: the startup
 * pruner, now, perhaps with a shorter retention or a smaller budget.
 */
export async function logsPruneCommand(args: string[], run: Run): Promise<number> {
  const spec = { 'dry-run': { type: 'boolean' }, 'retention-days': { type: 'string' }, 'max-total': { type: 'string' } } as const;
  const { values, spelled } = parseCommandArgs(args, spec, 'logs prune', 0);
  if (values.help) return printHelp('logs prune');
  const configured = run.session.settings.retentionDays.value;
  const retentionDays = values['retention-days'] === undefined
    ? configured
    : parseRetentionDays(values['retention-days'], spelled['retention-days'] ?? '--retention-days', 'logs prune');
  const maxTotalBytes = values['max-total'] === undefined
    ? undefined
    : parseSizeFlag(values['max-total'], spelled['max-total'] ?? '--max-total', 'logs prune');
  // This run's own startup prune has already deleted what the settings in force
  // allow, by age and by the budget.
  const startup = run.session.pruned;
  const lines = sortedNames(startup.deleted).map((name) => `Deleted ${name} (at startup)`);
  let deleted = startup.deleted.length;
  let errors = startup.errors;
  // Only the rules asked for: an absent field would read "undefined" in a text record.
  const rules = maxTotalBytes === undefined ? { retentionDays } : { retentionDays, maxTotalBytes };
  const options = { ...rules, prefix: run.place.prefix };
  const budget = (report: PruneReport) => (maxTotalBytes === undefined ? undefined : { maxTotalBytes, totalBytes: report.totalBytes });
  if (values['dry-run']) {
    const preview = pruneOldLogs(run.place.dir, { ...options, dryRun: true });
    lines.push(...sortedNames(preview.deleted).map((name) => `Would delete ${name}`));
    lines.push(`Dry run: ${pruneSummary(preview.deleted.length, retentionDays, othersLeft(run, preview.deleted.length), 'would delete', budget(preview))}`);
  } else {
    const report = pruneOldLogs(run.place.dir, options);
    for (const file of report.deleted) run.session.logger.child('logs').info('Pruned session log', { file, ...rules });
    lines.push(...sortedNames(report.deleted).map((name) => `Deleted ${name}`));
    deleted += report.deleted.length;
    errors = [...errors, ...report.errors];
    lines.push(pruneSummary(deleted, retentionDays, othersLeft(run, 0), 'Deleted', budget(report)));
  }
  await writeOut(lines.join('\n') + '\n');
  for (const error of errors) printStderr(`Could not delete ${path.basename(error.file)}: ${error.message}`);
  return errors.length > 0 ? 1 : 0;
}

/** How many logs other than ours are in the directory, less `leaving` about to go. */
function othersLeft(run: Run, leaving: number): number {
  return listSessionLogs(run.place).filter((log) => !log.own).length - leaving;
}
