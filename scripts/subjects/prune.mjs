// Prune subject: pruneOldLogs on DIR as initLogging runs it, with the default
// retention (7 days) and the default disk budget for DIR's file system, as if
// the present were AHEAD_DAYS from now (9: every file just made is old; 0: none
// is), timed in-process. Prints {"seconds", "deleted", "kept", "errors"}.
//
//   node prune.mjs DIR AHEAD_DAYS
// BENCH_LOGGING_MODULE names lib/logging.ts compiled to JavaScript by bench.ts.
import { performance } from 'node:perf_hooks';

const { pruneOldLogs, resolveSettings } = await import(process.env.BENCH_LOGGING_MODULE);
const [dir, aheadDays] = process.argv.slice(2);
const now = Date.now() + Number(aheadDays) * 24 * 60 * 60 * 1000;
const { maxTotalBytes, minFreeBytes } = resolveSettings({ dir, env: {} }).settings;
const t0 = performance.now();
const report = pruneOldLogs(dir, { retentionDays: 7, now, maxTotalBytes: maxTotalBytes.value, minFreeBytes: minFreeBytes.value });
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({
  seconds,
  deleted: report.deleted.length,
  kept: report.kept,
  errors: report.errors.length,
}) + '\n');
