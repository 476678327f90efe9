/**
 * `logs config` (docs/design.md §5): the settings in force and where each came
 * from; works even when the log directory cannot be used.
 */
import * as path from 'node:path';
import type { Setting } from '../logging.ts';
import { parseCommandArgs } from './args.ts';
import { days, formatLimit, formatTable } from './format.ts';
import { printHelp } from './help.ts';
import { logFilePattern } from './log-files.ts';
import { writeOut } from './output.ts';
import { settingsInForce, type Opened } from './run.ts';

/** `logs config`: the settings in force and where each came from; works even when the directory cannot be used. */
export async function logsConfigCommand(args: string[], opened: Opened): Promise<number> {
  const { values } = parseCommandArgs(args, {}, 'logs config', 0);
  if (values.help) return printHelp('logs config');
  const run = 'run' in opened ? opened.run : undefined;
  const settings = settingsInForce(opened);
  const dir = run?.place.dir ?? path.resolve(settings.dir.value);
  const retention = settings.retentionDays.value;
  const rows = [
    ['directory', dir, sourceOf(settings.dir)],
    ['level', settings.level.value, sourceOf(settings.level)],
    ['retention', Number.isFinite(retention) ? days(retention) : 'forever (pruning off)', sourceOf(settings.retentionDays)],
    ['format', settings.format.value, sourceOf(settings.format)],
    ['file pattern', logFilePattern(settings.prefix.value), sourceOf(settings.prefix)],
    ['max session size', formatLimit(settings.maxSessionBytes.value), sourceOf(settings.maxSessionBytes, 'one eighth of max total size')],
    ['max total size', formatLimit(settings.maxTotalBytes.value), sourceOf(settings.maxTotalBytes, '10% of the file system, 16 MiB to 1 GiB')],
    ['min free space', formatLimit(settings.minFreeBytes.value), sourceOf(settings.minFreeBytes, '5% of the file system, at most 1 GiB')],
    ['redaction', settings.redact.value ? 'on' : 'off', sourceOf(settings.redact)],
  ];
  await writeOut(formatTable(['SETTING', 'VALUE', 'SOURCE'], rows));
  return 0;
}

/**
 * `environment (VAR)`, `option` or `default`, noting an environment value that was
 * ignored as invalid, or how a computed default was found.
 */
function sourceOf(setting: Setting<unknown>, howDefault?: string): string {
  if (setting.rejected !== undefined) return `default (${setting.variable}=${JSON.stringify(setting.rejected)} is not valid)`;
  if (setting.source === 'environment') return `environment (${setting.variable})`;
  if (setting.source === 'default' && howDefault !== undefined) return `default (${howDefault})`;
  return setting.source;
}
