/**
 * Benchmarks of `logs view` (docs/design.md §10): the merged view of many sessions,
 * and how soon a follower shows a record after it is written.
 *
 *   npx tsx scripts/bench-view.ts                  1,000 logs of 100 KiB; 5 rounds; 40 probes per follower
 *   npx tsx scripts/bench-view.ts --logs=200 --rounds=3 --probes=20
 *   npx tsx scripts/bench-view.ts --dir=PATH       where the fixture goes (default: the OS temp dir)
 *   npx tsx scripts/bench-view.ts --large=20,200   one log holding a single record of 20 MB, then of 200 MB
 *   npx tsx scripts/bench-view.ts --large=20 --root=DIR   the same, with the command line of another checkout
 *
 * Targets: `logs view --all -n 50` over 1,000 logs of 100 KiB each under 1 s
 * and 100 MB of RSS; a follower's delay from write to screen under 200 ms.
 * With `--large`, time and memory in proportion to the record's size (a 200 MB
 * record in seconds): those runs use the sources (`lib/main.ts` through tsx) of
 * this checkout or of `--root`, so that an older commit can be measured beside it.
 * The command line runs as users run it, the `bin` built by `npm run build`
 * (`node dist/bin.js`), start-up included; `--version` is timed beside it,
 * so the difference is what viewing costs. Figures are medians with [min–max].
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initLogging } from '../lib/logging.ts';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BIN = path.join(ROOT, 'dist', 'bin.js');
// Prints the child's peak RSS on stderr as it exits: Node cannot ask for a child's rusage.
const REPORT_RSS = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxRSS='+process.resourceUsage().maxRSS+'\\n'))`;

interface Config {
  logs: number;
  kib: number;
  rounds: number;
  probes: number;
  dir: string;
  /** Sizes in MB of the single records `--large` measures; empty for the usual benchmark. */
  large: number[];
  /** The checkout whose lib/main.ts `--large` runs. */
  root: string;
}

function parseConfig(argv: string[]): Config {
  const config: Config = { logs: 1000, kib: 100, rounds: 5, probes: 40, dir: path.join(os.tmpdir(), `automake-bench-view-${process.pid}`), large: [], root: ROOT };
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=');
    if (name === 'dir') config.dir = path.resolve(value);
    else if (name === 'root') config.root = path.resolve(value);
    else if (name === 'large') config.large = value.split(',').map(Number);
    else if (name === 'logs' || name === 'kib' || name === 'rounds' || name === 'probes') config[name] = Number(value);
    else throw new Error(`Unknown argument ${arg}: expected --logs=N, --kib=N, --rounds=N, --probes=N, --dir=PATH, --large=MB[,MB…] or --root=DIR`);
  }
  return config;
}

function stamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/**
 * `count` ended sessions' logs of about `kib` KiB each, in the text format,
 * whose records interleave in time over the last hour, as sessions kept open
 * side by side write them. Written directly: a thousand real sessions would
 * take minutes to start.
 */
function writeFixture(dir: string, count: number, kib: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const start = Date.now() - 3_600_000;
  const date = stamp(start).slice(0, 10);
  for (let i = 0; i < count; i++) {
    const pid = 1_000_000 + i;
    let time = start + i * 3;
    const lines = [`${stamp(time)} - automake - INFO - Session started pid=${pid} ppid=1 argv="node agent.js --task ${i}" cwd=/home/ada node=v22 platform=linux host=box`];
    let size = lines[0].length;
    for (let n = 0; size < kib * 1024; n++) {
      time += 3000;
      const level = n % 40 === 39 ? 'ERROR' : 'INFO';
      let line = `${stamp(time)} - automake.agent - ${level} - step ${n} of task ${i}: tool call finished tool=shell exitCode=0 durationMs=${n % 997}`;
      if (n % 25 === 24) line += '\n    a continuation line of the step\'s output';
      lines.push(line);
      size += line.length + 1;
    }
    lines.push(`${stamp(time + 5)} - automake - INFO - Session ended exitCode=0 durationMs=${time + 5 - start}`);
    const file = path.join(dir, `automake_${date}_${pid}.log`);
    fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    fs.utimesSync(file, new Date(time + 5), new Date(time + 5));
  }
}

interface Run {
  ms: number;
  rssMiB: number;
  stdout: string;
}

/** Runs the command line; with `outFile`, its stdout goes there and `stdout` is its size in bytes. */
function runCli(args: string[], dir: string, main: string[] = [BIN], outFile?: string): Run {
  const out = outFile === undefined ? 'pipe' : fs.openSync(outFile, 'w');
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', REPORT_RSS, ...main, ...args], {
    env: { ...process.env, AUTOMAKE_LOG_DIR: dir, NO_COLOR: '1' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', out, 'pipe'],
  });
  const ms = performance.now() - started;
  if (typeof out === 'number') {
    result.stdout = String(fs.fstatSync(out).size);
    fs.closeSync(out);
  }
  if (result.status !== 0) throw new Error(`automake ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const rss = /maxRSS=(\d+)/.exec(result.stderr);
  return { ms, rssMiB: rss === null ? NaN : Number(rss[1]) / 1024, stdout: result.stdout };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function spread(values: number[], digits = 0): string {
  return `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
}

/** Wall time and peak RSS of `args`, `rounds` times, interleaved with `--version`. */
function timeView(config: Config, args: string[], check: (stdout: string) => void): { view: Run[]; version: Run[] } {
  const view: Run[] = [];
  const version: Run[] = [];
  for (let round = 0; round < config.rounds; round++) {
    version.push(runCli(['--version'], config.dir));
    const run = runCli(args, config.dir);
    check(run.stdout);
    view.push(run);
  }
  return { view, version };
}

/**
 * Starts a follower (`logs view -f` and `args`), then logs `probes` records
 * from this process's own session at random moments; the delay is from just
 * before each record is logged to its line arriving on the follower's stdout.
 */
async function followDelays(config: Config, args: string[]): Promise<number[]> {
  const session = initLogging({ dir: config.dir });
  const follower = spawn(process.execPath, [BIN, 'logs', 'view', '-f', '-n', '0', ...args.map((arg) => arg.replace('$PID', String(process.pid)))], {
    env: { ...process.env, AUTOMAKE_LOG_DIR: config.dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen = '';
  let waiting: { tag: string; resolve: () => void } | undefined;
  follower.stdout.setEncoding('utf8').on('data', (data: string) => {
    seen += data;
    if (waiting !== undefined && seen.includes(waiting.tag)) waiting.resolve();
  });
  const appeared = (tag: string) => new Promise<void>((resolve) => {
    waiting = { tag, resolve };
    if (seen.includes(tag)) resolve();
  });
  try {
    // The follower is ready once it shows a record logged after it started.
    for (let warm = 0; ; warm++) {
      const tag = `warm-up ${warm} `;
      session.logger.info(tag);
      session.flushSync();
      const shown = await Promise.race([appeared(tag).then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))]);
      if (shown) break;
    }
    const delays: number[] = [];
    for (let probe = 0; probe < config.probes; probe++) {
      // A random moment, so that the probes sample every phase of the follower's polling.
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 200));
      const tag = `probe ${probe} `;
      const shown = appeared(tag);
      const started = performance.now();
      session.logger.info(tag);
      session.flushSync();
      await shown;
      delays.push(performance.now() - started);
    }
    return delays;
  } finally {
    follower.kill('SIGINT');
    await new Promise((resolve) => follower.once('close', resolve));
    await session.close();
    fs.rmSync(session.filePath, { force: true });
  }
}

/**
 * `logs view PID -n 2` and `logs show` on one log whose middle record is a
 * single line of `mb` MB: what reading backwards and parsing cost per byte.
 */
function timeLargeRecords(config: Config): void {
  const tsx = createRequire(path.join(ROOT, 'package.json')).resolve('tsx');
  const main = ['--import', pathToFileURL(tsx).href, path.join(config.root, 'lib', 'main.ts')];
  const rows: string[] = [];
  for (const mb of config.large) {
    fs.mkdirSync(config.dir, { recursive: true });
    const now = Date.now();
    const pid = 1_000_000;
    const file = path.join(config.dir, `automake_${stamp(now).slice(0, 10)}_${pid}.log`);
    // Written a megabyte at a time: a child's peak RSS counts ours when it is forked.
    const fd = fs.openSync(file, 'w', 0o600);
    fs.writeSync(fd, `${stamp(now - 2)} - automake - INFO - before\n${stamp(now - 1)} - automake - INFO - `);
    const megabyte = Buffer.alloc(1_000_000, 'x');
    for (let i = 0; i < mb; i++) fs.writeSync(fd, megabyte);
    fs.writeSync(fd, `\n${stamp(now)} - automake - INFO - after\n`);
    fs.closeSync(fd);
    const old = new Date(now - 600_000);
    fs.utimesSync(file, old, old);
    for (const args of [['logs', 'view', String(pid), '-n', '2'], ['logs', 'show']]) {
      const runs: Run[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const run = runCli(args, config.dir, main, path.join(config.dir, 'stdout'));
        if (args[1] === 'view' && Number(run.stdout) < mb * 1_000_000) throw new Error(`expected the ${mb} MB record, got ${run.stdout} bytes`);
        runs.push(run);
      }
      rows.push(`| ${mb} MB | \`automake ${args.join(' ')}\` | ${spread(runs.map((run) => run.ms))} | ${spread(runs.map((run) => run.rssMiB))} |`);
    }
    fs.rmSync(config.dir, { recursive: true, force: true });
  }
  const command = `npx tsx scripts/bench-view.ts --large=${config.large.join(',')} --rounds=${config.rounds}${config.root === ROOT ? '' : ` --root=${config.root}`}`;
  process.stdout.write(['| record | command | wall ms | peak RSS MiB |', '|---:|---|---:|---:|', ...rows].join('\n') + `\n\n${os.cpus().length} cores, Node ${process.version}, sources of ${config.root}; reproduce with:\n  ${command}\n`);
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  if (config.large.length > 0) return timeLargeRecords(config);
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first`);
  const command = `npx tsx scripts/bench-view.ts --logs=${config.logs} --kib=${config.kib} --rounds=${config.rounds} --probes=${config.probes}`;
  process.stderr.write(`Writing ${config.logs} logs of ${config.kib} KiB to ${config.dir} …\n`);
  writeFixture(config.dir, config.logs, config.kib);
  try {
    const rows: string[][] = [];
    const checkFifty = (stdout: string) => {
      const records = stdout.split('\n').filter((line) => /^\s*\d+ \d{4}-/.test(line)).length;
      if (records !== 50) throw new Error(`expected 50 records, got ${records}`);
    };
    for (const args of [['logs', 'view', '--all', '-n', '50'], ['logs', 'view', '--all', '-n', '50', '--level', 'error', '--grep', 'task 7']]) {
      const { view, version } = timeView(config, args, args.length > 5 ? () => {} : checkFifty);
      rows.push([`automake ${args.join(' ')}`, spread(view.map((run) => run.ms)), spread(view.map((run) => run.rssMiB)), spread(version.map((run) => run.ms))]);
    }
    const table = [
      `| command (${config.logs} logs × ${config.kib} KiB) | wall ms | peak RSS MiB | \`--version\` wall ms |`,
      '|---|---:|---:|---:|',
      ...rows.map((row) => `| \`${row[0]}\` | ${row.join(' | ').slice(row[0].length + 3)} |`),
    ];
    const delays: string[][] = [];
    for (const args of [['$PID'], ['--all']]) {
      const measured = await followDelays(config, args);
      const sorted = [...measured].sort((a, b) => a - b);
      delays.push([`automake logs view -f ${args[0] === '$PID' ? 'PID' : `--all (${config.logs + 1} logs)`}`, spread(measured), sorted[Math.floor(sorted.length * 0.95)].toFixed(0)]);
    }
    const delayTable = [
      `| follower (${config.probes} probes) | delay ms | p95 ms |`,
      '|---|---:|---:|',
      ...delays.map((row) => `| \`${row[0]}\` | ${row[1]} | ${row[2]} |`),
    ];
    process.stdout.write(`${table.join('\n')}\n\n${delayTable.join('\n')}\n\n${os.cpus().length} cores, Node ${process.version}; reproduce with:\n  ${command}\n`);
  } finally {
    fs.rmSync(config.dir, { recursive: true, force: true });
  }
}

await main();
