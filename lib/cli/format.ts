/** What the command line prints: plain-text tables, human-readable sizes, ages and times, and its wording. */
import * as path from 'node:path';

/** Columns separated by two spaces, left-aligned except those in `rightAligned` (numbers). */
export function formatTable(headers: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => {
        if (column === cells.length - 1 && !rightAligned.has(column)) return cell;
        return rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]);
      })
      .join('  ');
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** `812 B`, `4.2 KiB`, `17 MiB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A span in the two largest units that matter: `45s`, `12m`, `3h 05m`, `6d 23h`. */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}

/** How long a command ran: `0.42s`, `12.3s`, `10m 07s`, then as `formatSpan`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}s`;
  return formatSpan(ms);
}

/** `YYYY-MM-DD HH:MM` in local time, as the log file names and records use local time. */
export function formatLocalTime(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** `1 day`, `7 days`, `0.5 days`. */
export function days(value: number): string {
  return value === 1 ? '1 day' : `${value} days`;
}

/** `1 log`, `3 logs`: `n` and the noun, plural unless `n` is 1. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A size limit: `unlimited`, or as `formatSize` writes it. */
export function formatLimit(bytes: number): string {
  return bytes === Infinity ? 'unlimited' : formatSize(bytes);
}

/**
 * The last line of `logs prune`: how many logs went (or would go), and how many
 * are kept; with a budget (`--max-total`), what the logs left add up to.
 */
export function pruneSummary(deleted: number, retentionDays: number, kept: number, verb: string, budget?: { maxTotalBytes: number; totalBytes: number }): string {
  const rule = budget === undefined ? `older than ${days(retentionDays)}` : `older than ${days(retentionDays)} or over the ${formatLimit(budget.maxTotalBytes)} budget`;
  const left = budget === undefined ? `${kept} kept` : `${kept} kept, ${formatSize(budget.totalBytes)} in all`;
  if (deleted === 0) return `Nothing to delete: no ended session's log is ${rule}; ${left}`;
  return `${verb} ${count(deleted, 'session log')} ${rule}; ${left}`;
}

/** The file names of `paths`, sorted, so that output does not depend on directory order. */
export function sortedNames(paths: string[]): string[] {
  return paths.map((file) => path.basename(file)).sort();
}
