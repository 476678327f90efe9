/**
 * Runs a command so that local midnight falls a few seconds into it: a session
 * that starts on one day and ends on the next, which a test suite otherwise only
 * meets when CI happens to run at midnight.
 *
 *   npx tsx scripts/across-midnight.ts [--lead=S] -- CMD [ARGS...]
 *   npx tsx scripts/across-midnight.ts --lead=5 -- npm test
 *
 * Node reads only IANA zone names from TZ, so the script cannot invent an offset:
 * it picks the zone whose next local midnight comes soonest after S seconds
 * (default 5), sleeps until S seconds before it, and runs the command with that
 * TZ. Some midnight falls at every full hour UTC (and at a few half and quarter
 * hours), so the wait is at most an hour. It prints the zone and when midnight
 * fell, and exits with the command's exit code.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const separator = args.indexOf('--');
const leadArg = args.slice(0, separator === -1 ? args.length : separator).find((arg) => arg.startsWith('--lead='));
const leadSeconds = leadArg === undefined ? 5 : Number(leadArg.slice('--lead='.length));
const command = separator === -1 ? [] : args.slice(separator + 1);
if (command.length === 0 || !(leadSeconds >= 1 && leadSeconds <= 600)) {
  console.error('Usage: npx tsx scripts/across-midnight.ts [--lead=S] -- CMD [ARGS...]   (1 <= S <= 600, default 5)');
  process.exit(2);
}

/** Local time of day in `zone` at `ms`, in milliseconds since its midnight. */
function msSinceLocalMidnight(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (ms % 1000);
}

// The zone whose local midnight comes soonest after `leadSeconds`.
const earliest = Date.now() + leadSeconds * 1000 + 1000;
let best = { zone: '', midnight: Infinity };
for (const zone of Intl.supportedValuesOf('timeZone')) {
  const midnight = earliest + (86_400_000 - msSinceLocalMidnight(zone, earliest)) % 86_400_000;
  if (midnight < best.midnight) best = { zone, midnight };
}

const start = best.midnight - leadSeconds * 1000;
console.error(`across-midnight: TZ=${best.zone}; midnight there at ${new Date(best.midnight).toISOString()}; starting in ${Math.round((start - Date.now()) / 1000)} s`);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, start - Date.now())));
const result = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, TZ: best.zone } });
const ran = (Date.now() - start) / 1000;
console.error(`across-midnight: ${command.join(' ')} ran ${ran.toFixed(1)} s, local midnight at ${leadSeconds} s; exit ${result.status ?? result.signal}`);
process.exit(result.status ?? 1);
