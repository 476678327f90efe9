/**
 * Benchmarks: what logging costs the program that calls it, side by side with
 * pino, winston and the floor (the same lines written with fs.writeSync).
 *
 *   npm run bench                       full run (about 7 minutes); tables also go to scripts/results/latest.md
 *   npm run bench -- --quick            short run (about 1 minute), N = 200,000 only
 *   npm run bench -- --only=throughput,exit,startup,prune   some sections only
 *   npm run bench -- --only=prune-young  the prune scan of young files only (no deletions:
 *                                        deleting 100,000 files takes minutes on a slow disk)
 *   npm run bench -- --profile          also profile ours (node --cpu-prof, strace -c -f)
 *   npm run bench -- --dir=PATH         where the logs and fixtures go (default: the OS temp dir)
 *
 * Each subject runs in a child process of its own (scripts/subjects/*.mjs),
 * subjects interleaved round by round in a rotating order, because the machine
 * may be shared and noisy: figures are medians with [min–max], and ratios are
 * paired round by round. Every run's file is re-read and checked for count,
 * order and duplicates; a run that fails the check is reported, never timed.
 * pino and winston live in scripts/package.json, installed on first use.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const SCRIPTS = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(SCRIPTS);
const SUBJECTS_DIR = path.join(SCRIPTS, 'subjects');
const LOG_LINES = path.join(SUBJECTS_DIR, 'log-lines.mjs');
const RESULTS = path.join(SCRIPTS, 'results', 'latest.md');
// Every subject logs this message with a counter; the check reads the counter back.
const MESSAGE = 'Executing command make build ';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

// prune-young is the second half of prune, on its own.
const SECTIONS = ['throughput', 'exit', 'startup', 'prune', 'prune-young'] as const;
type Section = (typeof SECTIONS)[number];

interface Config {
  quick: boolean;
  sections: Set<Section>;
  profile: boolean;
  baseDir: string;
  /** Record counts of the throughput runs. */
  sizes: number[];
  /** Rounds of every throughput measurement. */
  rounds: number;
  /** Rounds of the prune measurements, by number of files (an all-old round builds two fixtures). */
  pruneRounds: (files: number) => number;
  exitTrials: number;
  exitLines: number;
  startupRounds: number;
  pruneSizes: number[];
}

function parseArgs(argv: string[]): Config {
  let quick = false;
  let profile = false;
  let sections = new Set<Section>(SECTIONS);
  let baseDir = '';
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',');
      for (const name of names) if (!(SECTIONS as readonly string[]).includes(name)) usage(`unknown section "${name}"`);
      sections = new Set(names as Section[]);
    } else if (arg.startsWith('--dir=')) baseDir = path.resolve(arg.slice('--dir='.length));
    else usage(`unknown argument "${arg}"`);
  }
  if (baseDir === '') baseDir = path.join(os.tmpdir(), `automake-bench-${process.pid}`);
  return {
    quick,
    sections,
    profile,
    baseDir,
    sizes: quick ? [200_000] : [200_000, 1_000_000],
    rounds: quick ? 5 : 7,
    pruneRounds: (files) => (quick || files >= 100_000 ? 5 : 9),
    exitTrials: quick ? 5 : 20,
    exitLines: 100_000,
    startupRounds: quick ? 15 : 40,
    pruneSizes: quick ? [1_000, 10_000] : [1_000, 10_000, 100_000],
  };
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\nusage: npm run bench -- [--quick] [--only=${SECTIONS.join(',')}] [--profile] [--dir=PATH]\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Statistics and tables
// ---------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `median [min–max]`, each through `format`. */
function spread(values: number[], format: (n: number) => string): string {
  if (values.length === 0) return 'n/a';
  return `${format(median(values))} [${format(Math.min(...values))}–${format(Math.max(...values))}]`;
}

function fixed(digits: number): (n: number) => string {
  return (n) => n.toFixed(digits);
}

/** Three significant digits, so that 0.0712 and 12.3 both read well. */
function sig3(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toPrecision(3);
}

function millions(n: number): string {
  return `${(n / 1e6).toFixed(2)} M`;
}

function grouped(n: number): string {
  return n.toLocaleString('en-US');
}

function pairedRatios(numerators: (number | undefined)[], denominators: (number | undefined)[]): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < numerators.length; i++) {
    const a = numerators[i];
    const b = denominators[i];
    if (a !== undefined && b !== undefined && b > 0) ratios.push(a / b);
  }
  return ratios;
}

function table(headers: string[], rows: string[][]): string[] {
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** Markdown goes to stdout as it is produced and is kept for the results file. */
const report: string[] = [];
function emit(...lines: string[]): void {
  for (const line of lines) {
    report.push(line);
    process.stdout.write(line + '\n');
  }
}

function progress(text: string): void {
  process.stderr.write(`  … ${text}\n`);
}

// ---------------------------------------------------------------------------
// Child processes and checks
// ---------------------------------------------------------------------------

let baseDir = '';
let childEnv: NodeJS.ProcessEnv = {};

/** A fresh empty directory under the bench directory. */
function freshDir(tag: string): string {
  return fs.mkdtempSync(path.join(baseDir, `${tag}-`));
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

function runNode(args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, { env: childEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The telling line of a child's stderr: the error message when there is one. */
function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = lines.find((l) => /^\s*\w*Error: /.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '';
  return line.trim();
}

interface LineCheck {
  /** Lines in the file. */
  lines: number;
  bytes: number;
  /** Why the file is not records 0, 1, 2 … in order, each once; undefined when it is. */
  problem?: string;
}

/** Reads a subject's file back: every line carries the next counter, in order, once. */
function checkLines(file: string | undefined): LineCheck {
  if (file === undefined) return { lines: 0, bytes: 0 };
  const text = fs.readFileSync(file, 'latin1');
  let lines = 0;
  let problem: string | undefined;
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\n', pos);
    if (end < 0) {
      problem ??= `line ${lines + 1} is torn: no newline at the end of the file`;
      end = text.length;
    }
    // Our sessions open with a header record and close with an end record (docs/design.md §9): not counted.
    if (isSessionRecord(text.slice(pos, Math.min(end, pos + 200)))) {
      pos = end + 1;
      continue;
    }
    const at = text.indexOf(MESSAGE, pos);
    let digitsEnd = at + MESSAGE.length;
    while (digitsEnd < end && text.charCodeAt(digitsEnd) >= 48 && text.charCodeAt(digitsEnd) <= 57) digitsEnd++;
    const counter = at < 0 || at > end ? NaN : Number(text.slice(at + MESSAGE.length, digitsEnd));
    if (counter !== lines && problem === undefined) {
      problem = Number.isNaN(counter)
        ? `line ${lines + 1} is not a record: ${JSON.stringify(text.slice(pos, Math.min(end, pos + 120)))}`
        : `line ${lines + 1} holds record ${counter}, expected ${lines} (lost, duplicated or reordered)`;
    }
    lines++;
    pos = end + 1;
  }
  return { lines, bytes: text.length, problem };
}

/** Whether a line is a session's own header or end record, in text or JSON. */
function isSessionRecord(start: string): boolean {
  return / - automake - INFO - Session (started|ended)( |$)/.test(start) || /"name":"automake","msg":"Session (started|ended)"/.test(start);
}

/** The one file a subject wrote into its empty directory. */
function subjectFile(dir: string): string | undefined {
  const names = fs.readdirSync(dir);
  if (names.length > 1) throw new Error(`expected one file in ${dir}, found ${names.join(', ')}`);
  return names.length === 1 ? path.join(dir, names[0]) : undefined;
}

// ---------------------------------------------------------------------------
// Setup: scripts/'s own packages, compiled logger, machine
// ---------------------------------------------------------------------------

/** pino and winston to compare with, and esbuild to compile ours: scripts/package.json, installed on first use. */
function ensureScriptPackages(): void {
  const installed = ['esbuild', 'pino', 'winston'].every((name) => fs.existsSync(path.join(SCRIPTS, 'node_modules', name, 'package.json')));
  if (installed) return;
  process.stderr.write('bench: installing esbuild, pino and winston into scripts/node_modules (npm ci --prefix scripts)\n');
  const result = spawnSync('npm', ['ci', '--prefix', SCRIPTS, '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) throw new Error('npm ci --prefix scripts failed');
}

/**
 * lib/logging.ts compiled to one ES module with esbuild, at the version tsx
 * uses (so it is the code tsx runs), so children and the startup figure run
 * plain JavaScript with no loader.
 */
function compileLogger(buildDir: string): string {
  const esbuild = path.join(SCRIPTS, 'node_modules', '.bin', 'esbuild');
  const out = path.join(buildDir, 'logging.mjs');
  const result = spawnSync(esbuild, [
    path.join(ROOT, 'lib', 'logging.ts'), '--format=esm', '--platform=node', '--target=node20', `--outfile=${out}`, '--log-level=warning',
  ], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`esbuild failed (is scripts/node_modules installed?): ${result.stderr ?? result.error}`);
  for (const name of ['startup.mjs', 'startup-timed.mjs', 'import-only.mjs', 'empty.mjs']) fs.copyFileSync(path.join(SUBJECTS_DIR, name), path.join(buildDir, name));
  return out;
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(SCRIPTS, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

function machine(dir: string): string[] {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? '?';
  const df = spawnSync('df', ['-T', dir], { encoding: 'utf8' }).stdout?.trim().split('\n')[1]?.split(/\s+/) ?? [];
  const git = (...args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  const commit = git('log', '-1', '--format=%h %s', '--', 'lib/logging.ts').stdout?.trim() || 'unknown';
  const dirty = git('diff', '--quiet', 'HEAD', '--', 'lib/logging.ts').status === 1 ? ', with uncommitted changes' : '';
  return [
    `- lib/logging.ts as of commit ${commit}${dirty}`,
    `- Machine: ${os.availableParallelism()} cores (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; pino ${packageVersion('pino')} (sonic-boom ${packageVersion('sonic-boom')}), winston ${packageVersion('winston')}`,
    `- Files written to ${dir} on ${df[1] ?? '?'} (${df[0] ?? '?'}); "on disk" means handed to the kernel (in the page cache), as no subject fsyncs`,
  ];
}

// ---------------------------------------------------------------------------
// Throughput: N records, from logger creation to everything in the file
// ---------------------------------------------------------------------------

interface Subject {
  id: string;
  label: string;
  /** What the subject does when the process exits right after logging; empty for subjects the exit section skips. */
  atExit: string;
}

const SUBJECTS: Subject[] = [
  {
    id: 'floor-prebuilt',
    label: 'floor, I/O only (lines pre-built, writeSync 64 KiB)',
    atExit: '',
  },
  {
    id: 'floor',
    label: 'floor (build each line, writeSync 64 KiB)',
    atExit: 'writes synchronously; nothing is held in memory',
  },
  {
    id: 'floor-flat',
    label: 'floor, its head one flat string (Array.join, as ours)',
    atExit: '',
  },
  {
    id: 'ours-text',
    label: 'ours, text',
    atExit: 'its exit hook writes the queue with fs.writeSync before the process ends',
  },
  {
    id: 'ours-json',
    label: 'ours, JSON',
    atExit: 'the same writer as text',
  },
  {
    id: 'ours-text-unredacted',
    label: 'ours, text, redaction off',
    atExit: '',
  },
  {
    id: 'ours-text-secrets',
    label: 'ours, text, 1 record in 100 with a secret',
    atExit: '',
  },
  {
    id: 'pino-async',
    label: 'pino, destination({ sync: false })',
    atExit: 'lines wait in sonic-boom\'s buffer; pino\'s exit hook calls flushSync, which throws while the file is still being opened',
  },
  {
    id: 'pino-sync',
    label: 'pino, destination({ sync: true })',
    atExit: 'each line is written with fs.writeSync before info() returns',
  },
  {
    id: 'winston',
    label: 'winston, File transport + printf',
    atExit: 'lines wait in object streams behind an asynchronous file open; nothing flushes at exit',
  },
];

interface Sample {
  seconds: number;
  bytes: number;
  maxRssKiB: number;
  /** What the child printed on stderr, if anything: a logger should be silent. */
  stderr: string;
}

/** One timed run; throws when the child fails or its file does not check out. */
function timedRun(subject: string, count: number): Sample {
  const dir = freshDir(subject);
  try {
    const result = runNode([LOG_LINES, subject, String(count), dir]);
    if (result.status !== 0) throw new Error(`${subject} exited with ${result.status ?? result.signal}: ${firstLine(result.stderr)}`);
    const measured = JSON.parse(result.stdout) as { seconds: number; maxRssKiB: number };
    const check = checkLines(subjectFile(dir));
    if (check.problem !== undefined || check.lines !== count) {
      throw new Error(`${subject}: ${check.problem ?? `${check.lines} of ${count} lines in the file`}`);
    }
    return { seconds: measured.seconds, bytes: check.bytes, maxRssKiB: measured.maxRssKiB, stderr: firstLine(result.stderr) };
  } finally {
    removeDir(dir);
  }
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

interface ThroughputResult {
  count: number;
  /** Per subject, one sample per round (undefined where a run failed its check). */
  samples: Map<string, (Sample | undefined)[]>;
  failures: string[];
}

function measureThroughput(count: number, rounds: number): ThroughputResult {
  const samples = new Map<string, (Sample | undefined)[]>(SUBJECTS.map((s) => [s.id, []]));
  const failures: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const times: string[] = [];
    for (const subject of rotate(SUBJECTS, round)) {
      let sample: Sample | undefined;
      try {
        sample = timedRun(subject.id, count);
        times.push(`${subject.id} ${sample.seconds.toFixed(3)}s`);
      } catch (error) {
        failures.push(`round ${round + 1}: ${(error as Error).message}`);
        times.push(`${subject.id} FAILED`);
      }
      samples.get(subject.id)![round] = sample;
    }
    progress(`N=${grouped(count)} round ${round + 1}/${rounds}: ${times.join(', ')}`);
  }
  return { count, samples, failures };
}

function secondsOf(samples: (Sample | undefined)[]): (number | undefined)[] {
  return samples.map((s) => s?.seconds);
}

function present<T>(values: (T | undefined)[]): T[] {
  return values.filter((v): v is T => v !== undefined);
}

function reportThroughput(result: ThroughputResult, rounds: number): void {
  const ours = secondsOf(result.samples.get('ours-text')!);
  const rows = SUBJECTS.map((subject) => {
    const samples = result.samples.get(subject.id)!;
    const ok = samples.filter((s): s is Sample => s !== undefined);
    const seconds = ok.map((s) => s.seconds);
    return [
      subject.label,
      spread(seconds, sig3),
      spread(ok.map((s) => result.count / s.seconds), millions),
      spread(ok.map((s) => s.bytes / 1e6 / s.seconds), fixed(0)),
      spread(ok.map((s) => s.maxRssKiB / 1024), fixed(0)),
      spread(pairedRatios(secondsOf(samples), ours), fixed(2)),
      `${ok.length}/${rounds}`,
    ];
  });
  emit(
    '',
    `### ${grouped(result.count)} records`,
    '',
    ...table(['subject', 'seconds', 'lines/s', 'MB/s', 'peak RSS (MiB)', 'time ÷ ours text (paired)', 'runs checked'], rows),
  );
  if (result.failures.length > 0) emit('', ...result.failures.map((f) => `- FAILED CHECK: ${f}`));
  const noisy = SUBJECTS.flatMap((subject) => {
    const printed = present(result.samples.get(subject.id)!.map((s) => (s?.stderr ? s.stderr : undefined)));
    return printed.length === 0 ? [] : [`- ${subject.label} printed on stderr in ${printed.length} of ${rounds} runs (the file checked out): \`${printed[0].slice(0, 160)}\``];
  });
  if (noisy.length > 0) emit('', ...noisy);
}

// ---------------------------------------------------------------------------
// Exit safety: log, then process.exit(0) at once
// ---------------------------------------------------------------------------

interface ExitResult {
  subject: Subject;
  landed: number[];
  problems: string[];
  stderr: string;
}

function measureExitSafety(lines: number, trials: number): ExitResult[] {
  const subjects = SUBJECTS.filter((s) => s.atExit !== '');
  const results = subjects.map((subject): ExitResult => ({ subject, landed: [], problems: [], stderr: '' }));
  for (let trial = 0; trial < trials; trial++) {
    for (const result of rotate(results, trial)) {
      const dir = freshDir(`exit-${result.subject.id}`);
      try {
        const run = runNode([LOG_LINES, result.subject.id, String(lines), dir, '--exit']);
        if (run.stderr.trim() !== '' && result.stderr === '') result.stderr = firstLine(run.stderr);
        const check = checkLines(subjectFile(dir));
        if (check.problem !== undefined) result.problems.push(`trial ${trial + 1}: ${check.problem}`);
        result.landed.push(check.lines);
      } finally {
        removeDir(dir);
      }
    }
    progress(`exit trial ${trial + 1}/${trials}: ${results.map((r) => `${r.subject.id} ${r.landed.at(-1)}`).join(', ')}`);
  }
  return results;
}

function reportExitSafety(results: ExitResult[], lines: number, trials: number): void {
  const rows = results.map((r) => {
    const complete = r.landed.filter((n) => n === lines).length;
    const what = r.subject.atExit + (r.stderr !== '' ? `; stderr: \`${r.stderr.slice(0, 90)}\`` : '');
    return [
      r.subject.label,
      `${grouped(Math.min(...r.landed))} / ${grouped(median(r.landed))} / ${grouped(Math.max(...r.landed))}`,
      `${complete}/${trials}`,
      r.problems.length === 0 ? 'yes' : `NO: ${r.problems[0]}`,
      what,
    ];
  });
  emit(
    '',
    `### Exit safety: ${grouped(lines)} lines, then \`process.exit(0)\` at once, ${trials} trials`,
    '',
    ...table(['subject', 'lines in the file: min / median / max', 'trials with every line', 'in order, no duplicates', 'what happens'], rows),
  );
}

// ---------------------------------------------------------------------------
// Startup: whole-process time, compiled JavaScript
// ---------------------------------------------------------------------------

interface StartupResult {
  labels: string[];
  ms: number[][];
  /** In-process parts of startup.mjs's time, from startup-timed.mjs: name → ms per round. */
  parts: Map<string, number[]>;
  failures: string[];
}

const STARTUP_PARTS: [key: string, label: string][] = [
  ['nodeFsMs', 'ES import of `node:fs` (paid once by whichever module imports it first)'],
  ['importMs', 'import of the logger module'],
  ['initMs', '`initLogging()` on an empty directory (prune, create the file, writer, exit hooks)'],
  ['infoMs', 'first `logger.info()`'],
  ['exitMs', 'from the last line of the program to its exit (the pending write, the exit hook)'],
];

function measureStartup(buildDir: string, rounds: number): StartupResult {
  const script = (name: string) => path.join(buildDir, name);
  const subjects: { label: string; args: (dir: string) => string[]; check: boolean }[] = [
    { label: '`node -e ""`', args: () => ['-e', ''], check: false },
    { label: '`node empty.mjs` (an empty ES module)', args: () => [script('empty.mjs')], check: false },
    { label: '`node import-only.mjs` (import the logger)', args: () => [script('import-only.mjs')], check: false },
    { label: '`node startup.mjs` (import, `initLogging()` on an empty directory, log one line)', args: (dir) => [script('startup.mjs'), dir], check: true },
  ];
  const ms = subjects.map((): number[] => []);
  const parts = new Map(STARTUP_PARTS.map(([key]): [string, number[]] => [key, []]));
  const failures: string[] = [];
  const runOnce = (index: number): number => {
    const subject = subjects[index];
    const dir = freshDir('startup');
    try {
      const t0 = performance.now();
      const result = spawnSync(process.execPath, subject.args(dir), { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      const elapsed = performance.now() - t0;
      if (result.status !== 0) failures.push(`${subject.label} exited with ${result.status ?? result.signal}: ${firstLine(String(result.stderr))}`);
      if (subject.check) {
        const file = subjectFile(dir);
        const text = file === undefined ? '' : fs.readFileSync(file, 'utf8');
        if (!/ - automake - INFO - Started\n$/.test(text) || text.split('\n').length !== 2) failures.push(`startup.mjs wrote ${JSON.stringify(text.slice(0, 200))}`);
      }
      return elapsed;
    } finally {
      removeDir(dir);
    }
  };
  const runTimed = () => {
    const dir = freshDir('startup');
    const result = runNode([script('startup-timed.mjs'), dir]);
    removeDir(dir);
    if (result.status !== 0) {
      failures.push(`startup-timed.mjs exited with ${result.status}: ${firstLine(result.stderr)}`);
      return;
    }
    const timed = JSON.parse(result.stdout) as Record<string, number>;
    for (const [key, values] of parts) values.push(timed[key]);
  };
  // Warm the page cache and the filesystem before anything is timed.
  for (let i = 0; i < 3; i++) subjects.forEach((_, index) => runOnce(index));
  for (let round = 0; round < rounds; round++) {
    for (const index of rotate(subjects.map((_, i) => i), round)) ms[index][round] = runOnce(index);
    runTimed();
  }
  progress(`startup: ${rounds} rounds, median over node -e "": ${median(ms[3].map((t, i) => t - ms[0][i])).toFixed(1)} ms`);
  return { labels: subjects.map((s) => s.label), ms, parts, failures };
}

function reportStartup(result: StartupResult, rounds: number): void {
  const rows = result.labels.map((label, i) => [
    label,
    spread(result.ms[i], fixed(1)),
    i === 0 ? '—' : spread(result.ms[i].map((ms, round) => ms - result.ms[0][round]), fixed(1)),
  ]);
  emit(
    '',
    `### Startup: whole process, compiled JavaScript, ${rounds} interleaved rounds`,
    '',
    ...table(['process', 'wall ms', 'over `node -e ""` (paired, ms)'], rows),
    '',
    'Where `startup.mjs`\'s time goes, timed in-process (`startup-timed.mjs`, same rounds):',
    '',
    ...table(['part', 'ms'], STARTUP_PARTS.map(([key, label]) => [label, spread(result.parts.get(key)!, fixed(2))])),
  );
  if (result.failures.length > 0) emit('', ...result.failures.slice(0, 5).map((f) => `- FAILED: ${f}`));
}

// ---------------------------------------------------------------------------
// Prune: pruneOldLogs against find … -delete
// ---------------------------------------------------------------------------

const FIND_NAME = ['-name', 'automake_*.log'];
// Each fixture file holds a little text, as an ended session's log would.
const FIXTURE_CONTENT = '2025-01-01 00:00:00,000 - automake - INFO - Executing command make build 1\n';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readNumber(file: string, fallback: number): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  } catch {
    return fallback;
  }
}

/**
 * PIDs of no running process, as ended sessions have, taken from just behind
 * the kernel's last PID: those are the ones it will hand out again last.
 */
function deadPids(howMany: number): number[] {
  const pidMax = readNumber('/proc/sys/kernel/pid_max', 32768);
  const last = readNumber('/proc/sys/kernel/ns_last_pid', process.pid);
  const pids: number[] = [];
  for (let step = 2000; pids.length < howMany && step < pidMax; step++) {
    const pid = ((last - step) % pidMax + pidMax) % pidMax;
    if (pid > 300 && !isAlive(pid)) pids.push(pid);
  }
  return pids;
}

/** Names of `count` logs of ended sessions: 1,000 dead PIDs over as many days as needed. */
function fixtureNames(count: number): string[] {
  const pids = deadPids(1000);
  const names: string[] = [];
  const day0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const date = new Date(day0 + Math.floor(i / pids.length) * 86_400_000).toISOString().slice(0, 10);
    names.push(`automake_${date}_${pids[i % pids.length]}.log`);
  }
  return names;
}

function makeFixture(names: string[], ageForFind: boolean): string {
  const dir = freshDir('prune');
  for (const name of names) fs.writeFileSync(path.join(dir, name), FIXTURE_CONTENT);
  // find reads the mtime; ours reads the birth time, so it is aged through `now` instead.
  if (ageForFind) spawnSync('find', [dir, ...FIND_NAME, '-exec', 'touch', '-d', '10 days ago', '{}', '+']);
  // Start every timed run with no writeback of the fixture pending.
  spawnSync('sync');
  return dir;
}

interface PruneRun {
  ms: number;
  left: number;
}

/** ours: pruneOldLogs timed in-process, with the present AHEAD_DAYS days from now. */
function pruneOurs(dir: string, aheadDays: number): PruneRun & { kept: number; errors: number } {
  const result = runNode([path.join(SUBJECTS_DIR, 'prune.mjs'), dir, String(aheadDays)]);
  if (result.status !== 0) throw new Error(`prune.mjs exited with ${result.status}: ${firstLine(result.stderr)}`);
  const out = JSON.parse(result.stdout) as { seconds: number; kept: number; errors: number };
  return { ms: out.seconds * 1000, left: fs.readdirSync(dir).length, kept: out.kept, errors: out.errors };
}

// find's side of the two cases: deleting the old files; and, on young ones, the
// same scan as ours now is, which needs every file's size (§6) and age.
const FIND_DELETE_OLD = ['-mtime', '+7', '-delete'];
const FIND_SCAN_YOUNG = ['-size', '+0', '-mtime', '+7'];

/** find: the whole process, timed from here. */
function pruneFind(dir: string, test: string[] = FIND_DELETE_OLD): PruneRun {
  const t0 = performance.now();
  const result = spawnSync('find', [dir, ...FIND_NAME, ...test], { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`find exited with ${result.status}: ${String(result.stderr)}`);
  return { ms, left: fs.readdirSync(dir).length };
}

interface PruneResult {
  count: number;
  ours: number[];
  find: number[];
  /** find on an empty directory: its process start, for reference. */
  findEmpty: number[];
  notes: string[];
}

function measurePrune(count: number, rounds: number, allOld: boolean): PruneResult {
  const result: PruneResult = { count, ours: [], find: [], findEmpty: [], notes: [] };
  const names = fixtureNames(count);
  const empty = freshDir('prune-empty');
  // With none old, nothing is deleted, so one directory serves every run.
  const shared = allOld ? '' : makeFixture(names, false);
  let keptAlive = 0;
  for (let round = 0; round < rounds; round++) {
    const oursDir = allOld ? makeFixture(names, false) : shared;
    const findDir = allOld ? makeFixture(names, true) : shared;
    const runOurs = () => {
      // Each timed run starts with no metadata of the last one still to be written back.
      spawnSync('sync');
      const run = pruneOurs(oursDir, allOld ? 9 : 0);
      result.ours.push(run.ms);
      const expectedLeft = allOld ? run.kept : count;
      if (run.errors > 0 || run.left !== expectedLeft) result.notes.push(`ours left ${run.left} files with ${run.errors} errors`);
      if (allOld) keptAlive += run.kept;
    };
    const runFind = () => {
      spawnSync('sync');
      const run = pruneFind(findDir, allOld ? FIND_DELETE_OLD : FIND_SCAN_YOUNG);
      result.find.push(run.ms);
      if (run.left !== (allOld ? 0 : count)) result.notes.push(`find left ${run.left} files`);
    };
    if (round % 2 === 0) { runOurs(); runFind(); } else { runFind(); runOurs(); }
    result.findEmpty.push(pruneFind(empty).ms);
    if (allOld) { removeDir(oursDir); removeDir(findDir); }
  }
  if (!allOld) removeDir(shared);
  removeDir(empty);
  if (keptAlive > 0) result.notes.push(`ours kept ${keptAlive} files over ${rounds} rounds because a process with that PID was running`);
  progress(`prune ${grouped(count)} files, ${allOld ? 'all old' : 'none old'}: ours ${median(result.ours).toFixed(1)} ms, find ${median(result.find).toFixed(1)} ms`);
  return result;
}

function reportPrune(results: PruneResult[], allOld: boolean): void {
  const perFile = (values: number[], count: number) => spread(values.map((ms) => (ms * 1000) / count), fixed(1));
  const rows = results.map((r) => [
    grouped(r.count),
    String(r.ours.length),
    spread(r.ours, sig3),
    spread(r.find, sig3),
    spread(r.find.map((ms, i) => ms - r.findEmpty[i]), sig3),
    spread(pairedRatios(r.ours, r.find), fixed(2)),
    perFile(r.ours, r.count),
    perFile(r.find, r.count),
  ]);
  emit(
    '',
    allOld
      ? `### Prune, every file old (deletes them all), against \`find DIR ${[...FIND_NAME, ...FIND_DELETE_OLD].join(' ')}\``
      : `### Prune, no file old (a scan that deletes nothing, with the disk budget of the startup prune), against \`find DIR ${[...FIND_NAME, ...FIND_SCAN_YOUNG].join(' ')}\``,
    '',
    ...table(['files', 'rounds', 'ours ms (in-process)', 'find ms (whole process)', 'find ms less its start on an empty dir', 'ours ÷ find (paired)', 'ours µs/file', 'find µs/file'], rows),
  );
  const notes = results.flatMap((r) => r.notes.map((n) => `${grouped(r.count)} files: ${n}`));
  if (notes.length > 0) emit('', ...notes.map((n) => `- ${n}`));
}

// ---------------------------------------------------------------------------
// Profile: where ours spends its time
// ---------------------------------------------------------------------------

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Runs `node --cpu-prof ARGS` and emits the functions with the most self time. */
function cpuProfileTop(title: string, args: string[]): void {
  const profDir = freshDir('cpuprofile');
  const run = runNode(['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=100', ...args]);
  const profileFile = fs.readdirSync(profDir).find((name) => name.endsWith('.cpuprofile'));
  if (run.status !== 0 || profileFile === undefined) {
    emit('', `- node --cpu-prof of ${title} failed: ${firstLine(run.stderr)}`);
    removeDir(profDir);
    return;
  }
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, profileFile), 'utf8')) as CpuProfile;
  removeDir(profDir);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url === '' ? '' : ` (${path.basename(frame.url)}:${frame.lineNumber + 1})`;
    const key = `${frame.functionName || '(anonymous)'}${where}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + profile.timeDeltas[i]);
    total += profile.timeDeltas[i];
  });
  const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 12);
  emit(
    '',
    `\`node --cpu-prof\` of ${title}: top self time over the whole process (${(total / 1000).toFixed(0)} ms sampled):`,
    '',
    ...table(['function (file:line of the compiled module)', 'self ms', 'share'], top.map(([key, us]) => [`\`${key}\``, (us / 1000).toFixed(1), `${((us / total) * 100).toFixed(1)}%`])),
  );
}

/** Runs `strace -c -f COMMAND` and emits its busiest system calls. */
function straceTop(title: string, command: string, args: string[]): void {
  const out = path.join(baseDir, `strace-${process.pid}.txt`);
  const traced = spawnSync('strace', ['-c', '-f', '-o', out, command, ...args], { env: childEnv, encoding: 'utf8' });
  if (traced.error !== undefined || !fs.existsSync(out)) {
    emit('', `- strace -c of ${title} not available: ${traced.error?.message ?? firstLine(traced.stderr)}`);
    return;
  }
  const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
  fs.rmSync(out, { force: true });
  emit('', `\`strace -c -f\` of ${title} (system calls by time; futex and epoll are other threads waiting):`, '', '```', ...lines.slice(0, 12), lines.at(-1) ?? '', '```');
}

function profileThroughput(count: number): void {
  emit('', `### Profile: ours (text) and the floor, ${grouped(count)} records`);
  for (const subject of ['ours-text', 'floor']) {
    const dir = freshDir('profile');
    cpuProfileTop(`${subject}, ${grouped(count)} records`, [LOG_LINES, subject, String(count), dir]);
    removeDir(dir);
  }
  for (const subject of ['ours-text', 'floor']) {
    const dir = freshDir('strace');
    straceTop(`${subject}, ${grouped(count)} records`, process.execPath, [LOG_LINES, subject, String(count), dir]);
    removeDir(dir);
  }
}

function profilePrune(count: number): void {
  emit('', `### Profile: prune, ${grouped(count)} files, all old`);
  const names = fixtureNames(count);
  let dir = makeFixture(names, false);
  cpuProfileTop(`pruneOldLogs`, [path.join(SUBJECTS_DIR, 'prune.mjs'), dir, '9']);
  removeDir(dir);
  dir = makeFixture(names, false);
  straceTop('pruneOldLogs', process.execPath, [path.join(SUBJECTS_DIR, 'prune.mjs'), dir, '9']);
  removeDir(dir);
  dir = makeFixture(names, true);
  straceTop('find … -mtime +7 -delete', 'find', [dir, ...FIND_NAME, '-mtime', '+7', '-delete']);
  removeDir(dir);
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

interface Target {
  name: string;
  measured: string;
  met: boolean;
}

function throughputTargets(result: ThroughputResult): Target[] {
  const seconds = (id: string) => secondsOf(result.samples.get(id)!);
  const speedup = pairedRatios(seconds('pino-async'), seconds('ours-text'));
  const overFloor = pairedRatios(seconds('ours-text'), seconds('floor'));
  const secretsOverFloor = pairedRatios(seconds('ours-text-secrets'), seconds('floor'));
  const redactionCost = pairedRatios(seconds('ours-text'), seconds('ours-text-unredacted'));
  const overFlatFloor = pairedRatios(seconds('ours-text'), seconds('floor-flat'));
  const secretsOverFlatFloor = pairedRatios(seconds('ours-text-secrets'), seconds('floor-flat'));
  const rss = [...present(result.samples.get('ours-text')!.map((s) => s?.maxRssKiB)), ...present(result.samples.get('ours-json')!.map((s) => s?.maxRssKiB))];
  const worstRss = Math.max(...rss) / 1024;
  const n = grouped(result.count);
  return [
    {
      name: `ours (text) vs pino async, lines/s, ${n} records: at least 4×`,
      measured: `${spread(speedup, fixed(2))}×`,
      met: speedup.length > 0 && median(speedup) >= 4,
    },
    {
      name: `ours (text) vs floor, time, ${n} records: at most 1.5×`,
      measured: `${spread(overFloor, fixed(2))}×`,
      met: overFloor.length > 0 && median(overFloor) <= 1.5,
    },
    {
      name: `ours (text), 1 record in 100 holding a secret, vs floor, time, ${n} records: at most 1.6×`,
      measured: `${spread(secretsOverFloor, fixed(2))}×`,
      met: secretsOverFloor.length > 0 && median(secretsOverFloor) <= 1.6,
    },
    {
      name: `ours (text), and 1 record in 100 holding a secret, vs the floor with a flat head, time, ${n} records (no target)`,
      measured: `${spread(overFlatFloor, fixed(2))}×, ${spread(secretsOverFlatFloor, fixed(2))}×`,
      met: true,
    },
    {
      name: `cost of redaction: ours (text) with it on ÷ off, time, ${n} records (no target)`,
      measured: `${spread(redactionCost, fixed(2))}×`,
      met: true,
    },
    {
      name: `peak RSS of ours (text and JSON), ${n} records: at most 100 MiB`,
      measured: `worst run ${worstRss.toFixed(0)} MiB`,
      met: worstRss <= 100,
    },
    {
      name: `every throughput run checked (count, order, no duplicates)`,
      measured: result.failures.length === 0 ? 'all runs' : `${result.failures.length} failed`,
      met: result.failures.length === 0,
    },
  ];
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

function main(): void {
  const config = parseArgs(process.argv.slice(2));
  const args = process.argv.slice(2);
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  baseDir = config.baseDir;
  fs.mkdirSync(baseDir, { recursive: true });
  const buildDir = freshDir('build');
  const started = performance.now();
  try {
    ensureScriptPackages();
    const moduleFile = compileLogger(buildDir);
    childEnv = { ...process.env, BENCH_LOGGING_MODULE: moduleFile };
    // Children run bare node: no loader from NODE_OPTIONS, no logging settings from the environment.
    for (const name of Object.keys(childEnv)) if (name.startsWith('AUTOMAKE_') || name === 'NODE_OPTIONS') delete childEnv[name];

    emit(`## Benchmark results (${config.quick ? 'quick run' : 'full run'})`, '', `Command: \`${command}\``, '', ...machine(baseDir));
    emit(
      '',
      'Floor: each line built with the same text template (timestamp taken once), appended to a string and',
      'written with `fs.writeSync` every 64 KiB: what any logger must pay at the least (the targets use it).',
      'Floor, I/O only: the same bytes built before the clock starts, so only the writes are timed.',
      'Seconds run from logger creation to every line in the file (pino: until its end() calls fsync; the',
      'fsync itself is not timed, as no other subject does one). Medians with [min–max].',
    );
    const targets: Target[] = [];

    if (config.sections.has('throughput')) {
      // One short unrecorded round, so that the first timed round starts as warm as the others.
      for (const subject of SUBJECTS) timedRun(subject.id, 20_000);
      let last: ThroughputResult | undefined;
      for (const count of config.sizes) {
        last = measureThroughput(count, config.rounds);
        reportThroughput(last, config.rounds);
      }
      targets.push(...throughputTargets(last!));
      const missed = targets.some((t) => !t.met);
      if (config.profile || (missed && !config.quick)) profileThroughput(last!.count);
    }

    if (config.sections.has('exit')) {
      const results = measureExitSafety(config.exitLines, config.exitTrials);
      reportExitSafety(results, config.exitLines, config.exitTrials);
      for (const id of ['ours-text', 'ours-json']) {
        const landed = results.find((r) => r.subject.id === id)!;
        targets.push({
          name: `exit safety, ${id}: ${grouped(config.exitLines)} of ${grouped(config.exitLines)} lines in every trial`,
          measured: `${landed.landed.filter((n) => n === config.exitLines).length}/${config.exitTrials} trials complete, min ${grouped(Math.min(...landed.landed))}`,
          met: landed.problems.length === 0 && landed.landed.every((n) => n === config.exitLines),
        });
      }
    }

    if (config.sections.has('startup')) {
      const result = measureStartup(buildDir, config.startupRounds);
      reportStartup(result, config.startupRounds);
      const over = result.ms[3].map((ms, round) => ms - result.ms[0][round]);
      targets.push({
        name: 'startup: initLogging on an empty directory, at most 3 ms over `node -e ""`',
        measured: `${spread(over, fixed(1))} ms`,
        met: result.failures.length === 0 && median(over) <= 3,
      });
      if (config.profile || (!targets[targets.length - 1].met && !config.quick)) {
        const dir = freshDir('startup');
        cpuProfileTop('startup.mjs', [path.join(buildDir, 'startup.mjs'), dir]);
        removeDir(dir);
      }
    }

    if (config.sections.has('prune') || config.sections.has('prune-young')) {
      let pruneMissed = false;
      for (const allOld of config.sections.has('prune') ? [true, false] : [false]) {
        const results = config.pruneSizes.map((count) => measurePrune(count, config.pruneRounds(count), allOld));
        reportPrune(results, allOld);
        const tenK = results.find((r) => r.count === 10_000);
        if (allOld && tenK !== undefined) {
          const ratio = pairedRatios(tenK.ours, tenK.find);
          targets.push({
            name: 'prune 10,000 files, all old: no slower than `find … -delete` (whole process)',
            measured: `ours ÷ find ${spread(ratio, fixed(2))}`,
            met: median(ratio) <= 1 && tenK.notes.every((n) => !/left/.test(n)),
          });
          pruneMissed = !targets[targets.length - 1].met;
        }
        if (!allOld && tenK !== undefined) {
          const ratio = pairedRatios(tenK.ours, tenK.find);
          targets.push({
            name: 'prune 10,000 young files (ages and sizes for the budget): within 1.5x `find … -size +0 -mtime +7` (whole process)',
            measured: `ours ÷ find ${spread(ratio, fixed(2))}`,
            met: median(ratio) <= 1.5,
          });
        }
      }
      if (config.profile || (pruneMissed && !config.quick)) profilePrune(10_000);
    }

    emit('', '### Targets', '', ...table(['target', 'measured (median [min–max])', 'met'], targets.map((t) => [t.name, t.measured, t.met ? 'yes' : '**no**'])));
    const minutes = (performance.now() - started) / 60_000;
    emit('', `Reproduce: \`${command}\` (this run took ${minutes.toFixed(1)} minutes).`);
    if (!config.quick && config.sections.size === SECTIONS.length) {
      fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
      fs.writeFileSync(RESULTS, report.join('\n') + '\n');
      process.stderr.write(`bench: tables written to ${path.relative(process.cwd(), RESULTS)}\n`);
    }
  } finally {
    removeDir(buildDir);
    if (!process.argv.some((arg) => arg.startsWith('--dir='))) removeDir(baseDir);
  }
}

main();
