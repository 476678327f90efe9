/**
 * The command line's costs against their floors (docs/design.md §10 "Starts fast"),
 * side by side, medians of interleaved runs (so that a noisy neighbour slows both
 * sides of a pair alike), with the median of the paired ratios:
 *
 *   a. `automake logs show` on an empty log directory, the built bin (and through
 *      tsx, for scale), against `node -e ""`: target 1.5×
 *   b. an idle `automake exec -- sleep 10`: the wrapper's RSS (target 60 MiB) and the
 *      processes it starts besides the command (target none)
 *   c. `automake exec -- cat FILE` of 1,000,000 lines of 65 bytes into /dev/null,
 *      against `cat FILE | tee LOG >/dev/null`: target 3×
 *   d. the library's startup: initLogging + one record + exit, against an ES module
 *      that imports node:fs
 *
 *   npx tsx scripts/bench-cli.ts [--runs N]
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');
const NODE = process.execPath;
const BIN = path.join(ROOT, 'dist', 'bin.js');
const LIBRARY = path.join(ROOT, 'dist', 'logging.js');
const MIB = 1024 * 1024;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer: received ${values.runs}`);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-bench-cli-'));
process.on('exit', () => fs.rmSync(scratch, { recursive: true, force: true }));

// The figures are of the build as the sources are now.
run([NODE, '--import', 'tsx', path.join(ROOT, 'scripts', 'build.ts')], { cwd: ROOT, stdio: 'inherit' });

function run(argv: string[], options: SpawnSyncOptions = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed: status ${result.status}, signal ${result.signal}, ${result.error ?? ''}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Row {
  what: string;
  value: string;
  ratio: string;
  target: string;
  met?: boolean;
}
const rows: Row[] = [];

/** Runs every command once per round, in turn; the median of each, and of its ratio to the first within a round. */
function compare(commands: { name: string; argv: string[]; options?: SpawnSyncOptions }[], rounds: number): { name: string; median: number; ratio: number }[] {
  const times = commands.map(() => [] as number[]);
  for (const command of commands) run(command.argv, command.options); // warm the page cache
  for (let round = 0; round < rounds; round++) {
    commands.forEach((command, i) => times[i]!.push(run(command.argv, command.options)));
  }
  return commands.map((command, i) => ({
    name: command.name,
    median: median(times[i]!),
    ratio: median(times[i]!.map((ms, round) => ms / times[0]![round]!)),
  }));
}

/** Rows for a comparison: the first command is the floor; the second is held to `maxRatio`, when given. */
function addComparison(label: string, results: { name: string; median: number; ratio: number }[], maxRatio?: number): void {
  for (const [i, result] of results.entries()) {
    const held = i === 1 && maxRatio !== undefined;
    rows.push({
      what: `${label}. ${result.name}`,
      value: `${result.median.toFixed(1)} ms`,
      ratio: i === 0 ? '1.00×' : `${result.ratio.toFixed(2)}×`,
      target: held ? `≤ ${maxRatio}×` : '',
      ...(held ? { met: result.ratio <= maxRatio } : {}),
    });
  }
}

// a. logs show on an empty directory.
{
  const env = { ...process.env, AUTOMAKE_LOG_DIR: path.join(scratch, 'empty-logs') };
  const options = { env };
  const results = compare([
    { name: 'node -e ""', argv: [NODE, '-e', ''] },
    { name: 'automake logs show (dist/bin.js, the bin)', argv: [NODE, BIN, 'logs', 'show'], options },
    { name: 'tsx lib/main.ts logs show (from source)', argv: [NODE, '--import', 'tsx', path.join(ROOT, 'lib', 'main.ts'), 'logs', 'show'], options: { ...options, cwd: ROOT } },
  ], RUNS);
  addComparison('a', results, 1.5);
}

// b. An idle exec: the wrapper's memory, and what it starts besides the command.
{
  for (const [name, argv] of [
    ['automake exec -- sleep 10 (the bin)', [NODE, BIN, 'exec', '--', 'sleep', '10']],
    ['tsx lib/main.ts exec -- sleep 10 (for scale)', [path.join(ROOT, 'node_modules', '.bin', 'tsx'), path.join(ROOT, 'lib', 'main.ts'), 'exec', '--', 'sleep', '10']],
  ] as const) {
    const samples: { rss: number; extra: number }[] = [];
    for (let i = 0; i < Math.min(RUNS, 3); i++) samples.push(await idleExec([...argv]));
    const rss = median(samples.map((sample) => sample.rss));
    const extra = Math.max(...samples.map((sample) => sample.extra));
    const isBin = name.includes('the bin');
    rows.push({ what: `b. ${name}: RSS of its processes`, value: `${(rss / MIB).toFixed(1)} MiB`, ratio: '', target: isBin ? '≤ 60 MiB' : '', ...(isBin ? { met: rss <= 60 * MIB } : {}) });
    rows.push({ what: `b. ${name}: processes besides the command`, value: String(extra), ratio: '', target: isBin ? '0' : '', ...(isBin ? { met: extra === 0 } : {}) });
  }
}

/** Starts `argv`, lets it settle, then reads the RSS of every process it runs but `sleep`, and counts them. */
async function idleExec(argv: string[]): Promise<{ rss: number; extra: number }> {
  const env = { ...process.env, AUTOMAKE_LOG_DIR: path.join(scratch, 'exec-logs') };
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
  const ended = new Promise((resolve) => child.on('close', resolve));
  await sleep(1500);
  const tree = descendants(child.pid!);
  const wrappers = [child.pid!, ...tree].filter((pid) => commandName(pid) !== 'sleep');
  const rss = wrappers.reduce((sum, pid) => sum + vmRss(pid), 0);
  child.kill('SIGTERM');
  await ended;
  // The first process is the one we started; every other wrapper is extra.
  return { rss, extra: wrappers.length - 1 };
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // The parent PID is the 2nd field after the parenthesised command name.
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // Ended while we looked.
    }
  }
  const found: number[] = [];
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      visit(c);
    }
  };
  visit(pid);
  return found;
}

function commandName(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

function vmRss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

// c. Relaying a million lines.
{
  const file = path.join(scratch, 'lines.txt');
  const line = `${'x'.repeat(64)}\n`;
  const chunk = line.repeat(10_000);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const devNull = fs.openSync('/dev/null', 'w');
  const env = { ...process.env, AUTOMAKE_LOG_DIR: path.join(scratch, 'relay-logs') };
  const tee = path.join(scratch, 'tee.log');
  const results = compare([
    { name: 'cat FILE | tee LOG >/dev/null', argv: ['sh', '-c', `cat '${file}' | tee '${tee}' >/dev/null`] },
    { name: 'automake exec -- cat FILE >/dev/null (the bin)', argv: [NODE, BIN, 'exec', '--', 'cat', file], options: { env, stdio: ['ignore', devNull, 'ignore'] } },
  ], Math.min(RUNS, 9));
  fs.closeSync(devNull);
  addComparison('c', results, 3);
}

// d. The library's startup.
{
  const importsFs = path.join(scratch, 'imports-fs.mjs');
  fs.writeFileSync(importsFs, "import * as fs from 'node:fs';\nif (!fs) process.exit(1);\n");
  const logsOnce = path.join(scratch, 'logs-once.mjs');
  fs.writeFileSync(logsOnce, [
    `import { initLogging } from ${JSON.stringify(LIBRARY)};`,
    `initLogging({ dir: ${JSON.stringify(path.join(scratch, 'library-logs'))}, env: {} }).logger.info('one record');`,
  ].join('\n'));
  const results = compare([
    { name: 'an ES module importing node:fs', argv: [NODE, importsFs] },
    { name: 'initLogging + one record + exit (dist/logging.js)', argv: [NODE, logsOnce] },
  ], RUNS);
  addComparison('d', results);
}

const header: Row = { what: 'measure', value: 'median', ratio: 'ratio', target: 'target' };
const cells = (row: Row) => [row.what, row.value, row.ratio, row.target, row.met === undefined ? '' : row.met ? 'met' : 'MISSED'];
const widths = cells(header).map((_, i) => Math.max(...[header, ...rows].map((row) => cells(row)[i]!.length)));
for (const row of [header, ...rows]) {
  process.stdout.write(`${cells(row).map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}\n`);
}
process.stdout.write(`\nNode ${process.version}, ${os.cpus().length} cores, ${RUNS} runs (b: 3, c: ${Math.min(RUNS, 9)}); ratios are medians of per-round ratios.\n`);
process.stdout.write(`Reproduce: npx tsx scripts/bench-cli.ts --runs ${RUNS}\n`);
