/**
 * Benchmarks: what logging costs the program that calls it, on records like an
 * AI coding agent's (scripts/corpus.ts), side by side with pino and the floor
 * (the same lines written with fs.writeSync), for one or more cores at once.
 *
 *   npm run bench                         full run (about 10 minutes); tables also go to scripts/results/latest.md
 *   npm run bench -- --quick              short run (about 2 minutes): 100,000 records, fewer rounds
 *   npm run bench -- --only=throughput,exit,exec,startup,prune   some sections only
 *   npm run bench -- --only=prune-young   the prune scan of young files only
 *   npm run bench -- --core=main=/work/main/lib/logging.ts --core=new=../wt-core/lib/logging.ts
 *                                         the cores to measure side by side (default: this tree's
 *                                         lib/logging.ts); exec runs the main.ts beside each
 *   npm run bench -- --corpus=tuning      the corpora of the throughput section (default: held-out,no-trigger)
 *   npm run bench -- --out=scripts/results/FILE.md         also write the tables there
 *   npm run bench -- --profile            also profile the first core (node --cpu-prof, strace -c -f)
 *   npm run bench -- --dir=PATH           where the logs and fixtures go (default: the OS temp dir)
 *
 * Each run is a child process of its own (scripts/subjects/*.mjs), subjects
 * interleaved round by round in a rotating order, because the machine may be
 * shared and noisy: figures are medians with [min–max], and ratios are paired
 * round by round. Every run's file is re-read and checked for count and order
 * against the corpus; a run that fails the check is reported, never timed.
 * Startup and prune measure the first core only. pino lives in
 * scripts/package.json, installed on first use.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { buildOutput, CORPUS_NAMES, makeCorpus, POOL_SIZE, type CorpusName, type CorpusRecord } from './corpus.ts';

const SCRIPTS = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(SCRIPTS);
const SUBJECTS_DIR = path.join(SCRIPTS, 'subjects');
const LOG_LINES = path.join(SUBJECTS_DIR, 'log-lines.mjs');
const TIMED_LINES = path.join(SUBJECTS_DIR, 'timed-lines.mjs');
const RESULTS = path.join(SCRIPTS, 'results', 'latest.md');
// The corpus the targets are held to: not the one anybody tunes on.
const HELD_OUT: CorpusName = 'held-out';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

// prune-young is the second half of prune, on its own.
const SECTIONS = ['throughput', 'exit', 'exec', 'startup', 'prune', 'prune-young'] as const;
type Section = (typeof SECTIONS)[number];

/** A core to measure: lib/logging.ts of some tree, and the command line beside it. */
interface Core {
  label: string;
  /** The TypeScript source. */
  file: string;
  /** main.ts beside it, which `exec` runs; undefined when there is none. */
  cli: string | undefined;
  /** The source compiled to one ES module (set up by compileCores). */
  module: string;
}

interface Config {
  quick: boolean;
  sections: Set<Section>;
  profile: boolean;
  baseDir: string;
  out: string | undefined;
  cores: Core[];
  corpora: CorpusName[];
  /** Records of every throughput run. */
  count: number;
  /** Rounds of every throughput measurement. */
  rounds: number;
  /** Rounds of the prune measurements, by number of files (an all-old round builds two fixtures). */
  pruneRounds: (files: number) => number;
  exitTrials: number;
  exitRecords: number;
  /** Lines that `exec -- cat` relays, and rounds of it. */
  execLines: number;
  execRounds: number;
  /** Lines of the latency runs (printed over about 2 s each), and rounds of them. */
  latencyLines: number;
  latencyRounds: number;
  startupRounds: number;
  pruneSizes: number[];
}

function parseArgs(argv: string[]): Config {
  let quick = false;
  let profile = false;
  let sections = new Set<Section>(SECTIONS);
  let baseDir = '';
  let out: string | undefined;
  let corpora: CorpusName[] = ['held-out', 'no-trigger'];
  const cores: Core[] = [];
  for (const arg of argv) {
    const value = arg.slice(arg.indexOf('=') + 1);
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--only=')) {
      for (const name of value.split(',')) if (!(SECTIONS as readonly string[]).includes(name)) usage(`unknown section "${name}"`);
      sections = new Set(value.split(',') as Section[]);
    } else if (arg.startsWith('--corpus=')) {
      for (const name of value.split(',')) if (!(CORPUS_NAMES as readonly string[]).includes(name)) usage(`unknown corpus "${name}"`);
      corpora = value.split(',') as CorpusName[];
    } else if (arg.startsWith('--core=')) cores.push(parseCore(value));
    else if (arg.startsWith('--dir=')) baseDir = path.resolve(value);
    else if (arg.startsWith('--out=')) out = path.resolve(value);
    else usage(`unknown argument "${arg}"`);
  }
  if (cores.length === 0) cores.push(parseCore(path.join(ROOT, 'lib', 'logging.ts')));
  if (new Set(cores.map((c) => c.label)).size < cores.length) usage('two cores have the same label: name them, --core=LABEL=PATH');
  if (baseDir === '') baseDir = path.join(os.tmpdir(), `automake-bench-${process.pid}`);
  return {
    quick,
    sections,
    profile,
    baseDir,
    out,
    cores,
    corpora,
    count: quick ? 100_000 : 1_000_000,
    rounds: quick ? 3 : 5,
    pruneRounds: (files) => (quick || files >= 100_000 ? 5 : 9),
    exitTrials: quick ? 3 : 10,
    exitRecords: 100_000,
    execLines: quick ? 200_000 : 1_000_000,
    execRounds: quick ? 3 : 5,
    latencyLines: 100_000,
    latencyRounds: quick ? 2 : 3,
    startupRounds: quick ? 15 : 40,
    pruneSizes: quick ? [1_000, 10_000] : [1_000, 10_000, 100_000],
  };
}

/** `PATH` or `LABEL=PATH`; the label defaults to the name of the tree the file is in. */
function parseCore(spec: string): Core {
  const at = spec.indexOf('=');
  const file = path.resolve(at < 0 ? spec : spec.slice(at + 1));
  if (!fs.existsSync(file)) usage(`no core at ${file}`);
  const tree = path.basename(path.dirname(path.dirname(file)));
  const cli = path.join(path.dirname(file), 'main.ts');
  return { label: at < 0 ? tree : spec.slice(0, at), file, cli: fs.existsSync(cli) ? cli : undefined, module: '' };
}

function usage(problem: string): never {
  process.stderr.write(`bench: ${problem}\nusage: npm run bench -- [--quick] [--only=${SECTIONS.join(',')}] [--core=[LABEL=]PATH]... ` +
    `[--corpus=${CORPUS_NAMES.join(',')}] [--out=FILE] [--profile] [--dir=PATH]\n`);
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
  // A | inside a cell (`cat | tee`) would end it.
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(line)];
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
/** The environment of every child: no logging settings, no loader; the first core's module. */
let childEnv: NodeJS.ProcessEnv = {};

/** A fresh empty directory under the bench directory. */
function freshDir(tag: string): string {
  return fs.mkdtempSync(path.join(baseDir, `${tag}-`));
}

function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

function runNode(args: string[], env: NodeJS.ProcessEnv = childEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The telling line of a child's stderr: the error message when there is one. */
function firstLine(text: string): string {
  const lines = text.trim().split('\n');
  const line = lines.find((l) => /^\s*\w*Error: /.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines[0] ?? '';
  return line.trim();
}

interface LineCheck {
  /** Records in the file, not counting the session's own. */
  records: number;
  bytes: number;
  /** Why the file is not the expected records in order, each once; undefined when it is. */
  problem?: string;
}

// A text record's head: `2026-01-01 12:00:00,000 - LOGGER - LEVEL - `.
const TEXT_HEAD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\S+) - [A-Z]+ - /;

/**
 * Reads a file of records back, text or JSON: record n must show the first line
 * of `expected(n)`. Redaction may have replaced parts of it: up to the first
 * `[REDACTED]` it must agree. With `logger`, only that logger's records count
 * (exec's command output); else all but the session's header and end records.
 */
function checkRecords(file: string | undefined, expected: (n: number) => string, logger?: string): LineCheck {
  if (file === undefined) return { records: 0, bytes: 0 };
  const text = fs.readFileSync(file, 'utf8');
  let records = 0;
  let problem: string | undefined;
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\n', pos);
    if (end < 0) {
      problem ??= `record ${records + 1} is torn: no newline at the end of the file`;
      end = text.length;
    }
    const line = text.slice(pos, end);
    pos = end + 1;
    let name: string;
    let message: string;
    if (line.startsWith('{')) {
      const record = JSON.parse(line) as { name?: string; msg: string };
      name = record.name ?? '';
      message = record.msg.split('\n', 1)[0]!;
    } else {
      const head = TEXT_HEAD.exec(line);
      // A message's later lines are indented under its first.
      if (head === null && /^\s/.test(line)) continue;
      if (head === null) {
        problem ??= `line is not a record: ${JSON.stringify(line.slice(0, 120))}`;
        continue;
      }
      name = head[1]!;
      message = line.slice(head[0].length);
    }
    if (logger !== undefined ? name !== logger : isSessionRecord(name, message)) continue;
    const want = expected(records).split('\n', 1)[0]!;
    if (problem === undefined && !agrees(message, want)) {
      problem = `record ${records + 1} is ${JSON.stringify(message.slice(0, 100))}, expected ${JSON.stringify(want.slice(0, 100))} (lost, duplicated or reordered)`;
    }
    records++;
  }
  return { records, bytes: Buffer.byteLength(text), problem };
}

/** Whether a record's first line shows `want`: all of it (fields may follow), or all up to the first [REDACTED]. */
function agrees(shown: string, want: string): boolean {
  const cut = shown.indexOf('[REDACTED]');
  if (cut < 0) return shown.startsWith(want);
  const before = shown.slice(0, cut);
  return want.startsWith(before) || before.startsWith(want);
}

/** Whether a record is a session's own header or end record (docs/design.md §9). */
function isSessionRecord(logger: string, message: string): boolean {
  return logger === 'automake' && (message.startsWith('Session started') || message.startsWith('Session ended'));
}

/** The one file a subject wrote into its empty directory. */
function subjectFile(dir: string): string | undefined {
  const names = fs.readdirSync(dir);
  if (names.length > 1) throw new Error(`expected one file in ${dir}, found ${names.join(', ')}`);
  return names.length === 1 ? path.join(dir, names[0]!) : undefined;
}

const pools = new Map<CorpusName, CorpusRecord[]>();

/** What record n of a subject's run on `corpus` is: the subjects cycle through a pool of POOL_SIZE. */
function corpusMessage(corpus: CorpusName): (n: number) => string {
  if (!pools.has(corpus)) pools.set(corpus, makeCorpus(corpus, POOL_SIZE));
  const pool = pools.get(corpus)!;
  return (n) => pool[n % POOL_SIZE]!.message;
}

// ---------------------------------------------------------------------------
// Setup: scripts/'s own packages, compiled cores and corpus, machine
// ---------------------------------------------------------------------------

/** pino to compare with, and esbuild to compile ours: scripts/package.json, installed on first use. */
function ensureScriptPackages(): void {
  const installed = ['esbuild', 'pino'].every((name) => fs.existsSync(path.join(SCRIPTS, 'node_modules', name, 'package.json')));
  if (installed) return;
  process.stderr.write('bench: installing esbuild and pino into scripts/node_modules (npm ci --prefix scripts)\n');
  const result = spawnSync('npm', ['ci', '--prefix', SCRIPTS, '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: ROOT });
  if (result.status !== 0) throw new Error('npm ci --prefix scripts failed');
}

/** A TypeScript file compiled to one ES module with esbuild, at the version tsx uses (so it is the code tsx runs). */
function compile(source: string, out: string): void {
  const esbuild = path.join(SCRIPTS, 'node_modules', '.bin', 'esbuild');
  const result = spawnSync(esbuild, [source, '--bundle', '--format=esm', '--platform=node', '--target=node20', `--outfile=${out}`, '--log-level=warning'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`esbuild failed (is scripts/node_modules installed?): ${result.stderr ?? result.error}`);
}

/**
 * Every core, and scripts/corpus.ts, compiled to JavaScript, so that children
 * and the startup figure run plain JavaScript with no loader. The first core
 * goes beside the startup subjects, which import ./logging.mjs.
 */
function compileCores(cores: Core[], buildDir: string): string {
  cores.forEach((core, i) => {
    const dir = i === 0 ? buildDir : path.join(buildDir, `core-${i}`);
    fs.mkdirSync(dir, { recursive: true });
    core.module = path.join(dir, 'logging.mjs');
    compile(core.file, core.module);
  });
  for (const name of ['startup.mjs', 'startup-timed.mjs', 'import-only.mjs', 'empty.mjs']) fs.copyFileSync(path.join(SUBJECTS_DIR, name), path.join(buildDir, name));
  const corpus = path.join(buildDir, 'corpus.mjs');
  compile(path.join(SCRIPTS, 'corpus.ts'), corpus);
  return corpus;
}

function packageVersion(name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(SCRIPTS, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

/** `abc1234 subject` of the last commit that changed `file`, in whatever tree holds it. */
function commitOf(file: string): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: path.dirname(file), encoding: 'utf8' });
  const log = git('log', '-1', '--format=%h %s', '--', file);
  if (log.status !== 0) return 'unknown (not in a git tree)';
  const commit = log.stdout.trim() || 'unknown';
  const dirty = git('diff', '--quiet', 'HEAD', '--', file).status === 1 ? ', with uncommitted changes' : '';
  return `${commit}${dirty}`;
}

function machine(dir: string, cores: Core[]): string[] {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? os.cpus()[0]?.model ?? '?';
  const df = spawnSync('df', ['-T', dir], { encoding: 'utf8' }).stdout?.trim().split('\n')[1]?.split(/\s+/) ?? [];
  const bench = spawnSync('git', ['log', '-1', '--format=%h', '--', 'scripts'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return [
    ...cores.map((core) => `- Core **${core.label}**: ${core.file} as of commit ${commitOf(core.file)}; exec through ${core.cli ?? '(no main.ts beside it)'}`),
    `- Bench: scripts/ as of commit ${bench}; corpora from scripts/corpus.ts, each run cycling through ${grouped(POOL_SIZE)} records`,
    `- Machine: ${os.availableParallelism()} cores (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; pino ${packageVersion('pino')} (sonic-boom ${packageVersion('sonic-boom')})`,
    `- Files written to ${dir} on ${df[1] ?? '?'} (${df[0] ?? '?'}); "in the file" means handed to the kernel (in the page cache), as no subject fsyncs`,
  ];
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function present<T>(values: (T | undefined)[]): T[] {
  return values.filter((v): v is T => v !== undefined);
}

// ---------------------------------------------------------------------------
// Throughput: N records of a corpus, from logger creation to everything in the file
// ---------------------------------------------------------------------------

/** One contender of a measurement: a subject of log-lines.mjs, with the core it loads if it is ours. */
interface Run {
  id: string;
  label: string;
  subject: string;
  core?: Core;
}

const FLOOR: Run = { id: 'floor', label: 'floor: our text lines built, fs.writeSync every 64 KiB', subject: 'floor' };
const PINO: Run = { id: 'pino', label: 'pino, destination({ sync: false })', subject: 'pino-async' };
const onId = (core: Core) => `${core.label} on`;
const offId = (core: Core) => `${core.label} off`;

/** The contenders on a corpus: pino only where it is compared, as it never redacts text. */
function throughputRuns(cores: Core[], corpus: CorpusName): Run[] {
  return [
    FLOOR,
    ...(corpus === 'no-trigger' ? [] : [PINO]),
    ...cores.flatMap((core): Run[] => [
      { id: onId(core), label: `${core.label}, text, redaction on`, subject: 'ours-text', core },
      { id: offId(core), label: `${core.label}, text, redaction off`, subject: 'ours-text-unredacted', core },
    ]),
  ];
}

function envOf(run: Run): NodeJS.ProcessEnv {
  return run.core === undefined ? childEnv : { ...childEnv, BENCH_LOGGING_MODULE: run.core.module };
}

interface Sample {
  seconds: number;
  bytes: number;
  maxRssKiB: number;
  /** What the child printed on stderr, if anything: a logger should be silent. */
  stderr: string;
}

/** One timed run; throws when the child fails or its file does not check out. */
function timedRun(run: Run, corpus: CorpusName, count: number): Sample {
  const dir = freshDir(run.subject);
  try {
    const result = runNode([LOG_LINES, run.subject, corpus, String(count), dir], envOf(run));
    if (result.status !== 0) throw new Error(`${run.id} exited with ${result.status ?? result.signal}: ${firstLine(result.stderr)}`);
    const measured = JSON.parse(result.stdout) as { seconds: number; maxRssKiB: number };
    const check = checkRecords(subjectFile(dir), corpusMessage(corpus));
    if (check.problem !== undefined || check.records !== count) {
      throw new Error(`${run.id} on ${corpus}: ${check.problem ?? `${check.records} of ${count} records in the file`}`);
    }
    return { seconds: measured.seconds, bytes: check.bytes, maxRssKiB: measured.maxRssKiB, stderr: firstLine(result.stderr) };
  } finally {
    removeDir(dir);
  }
}

interface ThroughputResult {
  corpus: CorpusName;
  count: number;
  runs: Run[];
  /** Per run id, one sample per round (undefined where a run failed its check). */
  samples: Map<string, (Sample | undefined)[]>;
  failures: string[];
}

/** Every corpus's contenders, interleaved round by round in a rotating order. */
function measureThroughput(cores: Core[], corpora: CorpusName[], count: number, rounds: number): ThroughputResult[] {
  const results = corpora.map((corpus): ThroughputResult => {
    const runs = throughputRuns(cores, corpus);
    return { corpus, count, runs, samples: new Map(runs.map((r) => [r.id, []])), failures: [] };
  });
  for (let round = 0; round < rounds; round++) {
    for (const result of results) {
      const times: string[] = [];
      for (const run of rotate(result.runs, round)) {
        let sample: Sample | undefined;
        try {
          sample = timedRun(run, result.corpus, count);
          times.push(`${run.id} ${sample.seconds.toFixed(2)}s`);
        } catch (error) {
          result.failures.push(`round ${round + 1}: ${(error as Error).message}`);
          times.push(`${run.id} FAILED`);
        }
        result.samples.get(run.id)![round] = sample;
      }
      progress(`${result.corpus}, ${grouped(count)} records, round ${round + 1}/${rounds}: ${times.join(', ')}`);
    }
  }
  return results;
}

function secondsOf(result: ThroughputResult, id: string): (number | undefined)[] {
  return (result.samples.get(id) ?? []).map((s) => s?.seconds);
}

function reportThroughput(result: ThroughputResult, rounds: number): void {
  const floor = secondsOf(result, FLOOR.id);
  const pino = secondsOf(result, PINO.id);
  const rows = result.runs.map((run) => {
    const ok = present(result.samples.get(run.id)!);
    const seconds = secondsOf(result, run.id);
    return [
      run.label,
      spread(ok.map((s) => s.seconds), sig3),
      spread(ok.map((s) => result.count / s.seconds), millions),
      spread(pairedRatios(seconds, floor), fixed(2)),
      result.runs.includes(PINO) ? spread(pairedRatios(pino, seconds), fixed(2)) : '—',
      spread(ok.map((s) => s.maxRssKiB / 1024), fixed(0)),
      `${ok.length}/${rounds}`,
    ];
  });
  emit(
    '',
    `### Throughput: ${grouped(result.count)} records of the ${result.corpus} corpus`,
    '',
    ...table(['subject', 'seconds', 'lines/s', 'time ÷ floor (paired)', 'lines/s ÷ pino\'s (paired)', 'peak RSS (MiB)', 'runs checked'], rows),
  );
  if (result.failures.length > 0) emit('', ...result.failures.map((f) => `- FAILED CHECK: ${f}`));
  const noisy = result.runs.flatMap((run) => {
    const printed = present(result.samples.get(run.id)!.map((s) => (s?.stderr ? s.stderr : undefined)));
    return printed.length === 0 ? [] : [`- ${run.label} printed on stderr in ${printed.length} of ${rounds} runs (the file checked out): \`${printed[0]!.slice(0, 160)}\``];
  });
  if (noisy.length > 0) emit('', ...noisy);
}

/** µs per record that redaction adds, (on − off) ÷ records, paired round by round. */
function redactionCostUs(result: ThroughputResult, core: Core): number[] {
  const on = secondsOf(result, onId(core));
  const off = secondsOf(result, offId(core));
  return present(on.map((s, i) => (s === undefined || off[i] === undefined ? undefined : ((s - off[i]!) * 1e6) / result.count)));
}

function reportRedactionCost(results: ThroughputResult[], cores: Core[]): void {
  const rows = cores.flatMap((core) => results.map((result) => [
    core.label,
    result.corpus,
    spread(redactionCostUs(result, core), fixed(2)),
    spread(pairedRatios(secondsOf(result, onId(core)), secondsOf(result, offId(core))), fixed(2)),
  ]));
  emit('', '### The cost of redaction', '', ...table(['core', 'corpus', 'µs per record, on − off (paired)', 'time on ÷ off (paired)'], rows));
}

// ---------------------------------------------------------------------------
// Exit safety: log, then process.exit(0) at once
// ---------------------------------------------------------------------------

interface ExitResult {
  run: Run;
  landed: number[];
  problems: string[];
  stderr: string;
}

function exitRuns(cores: Core[]): Run[] {
  return [
    FLOOR,
    ...cores.flatMap((core): Run[] => [
      { id: `${core.label} text`, label: `${core.label}, text`, subject: 'ours-text', core },
      { id: `${core.label} JSON`, label: `${core.label}, JSON`, subject: 'ours-json', core },
    ]),
  ];
}

function measureExitSafety(cores: Core[], records: number, trials: number): ExitResult[] {
  const results = exitRuns(cores).map((run): ExitResult => ({ run, landed: [], problems: [], stderr: '' }));
  for (let trial = 0; trial < trials; trial++) {
    for (const result of rotate(results, trial)) {
      const dir = freshDir('exit');
      try {
        const run = runNode([LOG_LINES, result.run.subject, HELD_OUT, String(records), dir, '--exit'], envOf(result.run));
        if (run.stderr.trim() !== '' && result.stderr === '') result.stderr = firstLine(run.stderr);
        const check = checkRecords(subjectFile(dir), corpusMessage(HELD_OUT));
        if (check.problem !== undefined) result.problems.push(`trial ${trial + 1}: ${check.problem}`);
        result.landed.push(check.records);
      } finally {
        removeDir(dir);
      }
    }
    progress(`exit trial ${trial + 1}/${trials}: ${results.map((r) => `${r.run.id} ${r.landed.at(-1)}`).join(', ')}`);
  }
  return results;
}

function reportExitSafety(results: ExitResult[], records: number, trials: number): void {
  const rows = results.map((r) => [
    r.run.label,
    `${grouped(Math.min(...r.landed))} / ${grouped(median(r.landed))} / ${grouped(Math.max(...r.landed))}`,
    `${r.landed.filter((n) => n === records).length}/${trials}`,
    r.problems.length === 0 ? 'yes' : `NO: ${r.problems[0]}`,
    r.stderr === '' ? '' : `\`${r.stderr.slice(0, 90)}\``,
  ]);
  emit(
    '',
    `### Exit safety: ${grouped(records)} records of the ${HELD_OUT} corpus, then \`process.exit(0)\` at once, ${trials} trials`,
    '',
    ...table(['subject', 'records in the file: min / median / max', 'trials with every record', 'in order', 'stderr'], rows),
  );
}

// ---------------------------------------------------------------------------
// exec: relaying a build's output to the terminal and into the log
// ---------------------------------------------------------------------------

/** A file of `lines` lines of build and test output from the held-out corpus. */
function writeBuildOutput(lines: number): { file: string; lines: string[] } {
  const file = path.join(baseDir, `build-output-${lines}.txt`);
  const text = buildOutput(HELD_OUT, lines);
  fs.writeFileSync(file, text.join('\n') + '\n');
  return { file, lines: text };
}

/**
 * The environment of a command line run: its logs go to `logDir`, with no size
 * limits, as the throughput subjects have (a million lines of build output is
 * more than the default session budget, which would cut the log short).
 */
function cliEnv(logDir: string): NodeJS.ProcessEnv {
  return { ...childEnv, AUTOMAKE_LOG_DIR: logDir, AUTOMAKE_LOG_MAX_SESSION_SIZE: 'unlimited', AUTOMAKE_LOG_MAX_TOTAL_SIZE: 'unlimited', AUTOMAKE_LOG_MIN_FREE: '0' };
}

/** `node --import tsx CLI exec -- ARGS`, run from this tree, so that tsx resolves from its node_modules. */
function execArgv(core: Core, args: string[]): string[] {
  return ['--import', 'tsx', core.cli!, 'exec', '--', ...args];
}

interface ExecTimes {
  label: string;
  /** What was run: the floor, or a core's `exec -- cat` or `exec -- true`. */
  what: 'tee' | 'cat' | 'true';
  core?: Core;
  ms: (number | undefined)[];
}

function measureExec(cores: Core[], lineCount: number, rounds: number): { results: ExecTimes[]; failures: string[] } {
  const { file, lines } = writeBuildOutput(lineCount);
  const expectedBytes = fs.statSync(file).size;
  const withCli = cores.filter((core) => core.cli !== undefined);
  const devNull = fs.openSync('/dev/null', 'w');
  const failures: string[] = [];
  const timed = (argv: string[], env: NodeJS.ProcessEnv): number => {
    const t0 = performance.now();
    const result = spawnSync(argv[0]!, argv.slice(1), { env, cwd: ROOT, stdio: ['ignore', devNull, 'pipe'], encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited with ${result.status ?? result.signal}: ${firstLine(result.stderr ?? '')}`);
    return ms;
  };
  const tee = path.join(baseDir, 'tee.log');
  const commands: (Omit<ExecTimes, 'ms'> & { run: () => number })[] = [
    {
      label: '`cat FILE | tee OUT >/dev/null`',
      what: 'tee',
      run: () => {
        const ms = timed(['sh', '-c', `cat '${file}' | tee '${tee}' >/dev/null`], childEnv);
        if (fs.statSync(tee).size !== expectedBytes) throw new Error('tee wrote a different number of bytes');
        return ms;
      },
    },
    ...withCli.map((core) => ({
      label: `${core.label}: \`exec -- cat FILE\` >/dev/null`,
      what: 'cat' as const,
      core,
      run: () => {
        const logDir = freshDir('exec');
        try {
          const ms = timed([process.execPath, ...execArgv(core, ['cat', file])], cliEnv(logDir));
          const check = checkRecords(subjectFile(logDir), (n) => lines[n]!, 'automake.exec.stdout');
          if (check.problem !== undefined || check.records !== lineCount) throw new Error(`${core.label} exec: ${check.problem ?? `${check.records} of ${lineCount} lines in the log`}`);
          return ms;
        } finally {
          removeDir(logDir);
        }
      },
    })),
    ...withCli.map((core) => ({
      label: `${core.label}: \`exec -- true\` (the command line's own start and end, through tsx)`,
      what: 'true' as const,
      core,
      run: () => {
        const logDir = freshDir('exec');
        try {
          return timed([process.execPath, ...execArgv(core, ['true'])], cliEnv(logDir));
        } finally {
          removeDir(logDir);
        }
      },
    })),
  ];
  const results = commands.map(({ run: _, ...c }): ExecTimes => ({ ...c, ms: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const index of rotate(commands.map((_, i) => i), round)) {
      try {
        results[index]!.ms[round] = commands[index]!.run();
      } catch (error) {
        failures.push(`round ${round + 1}: ${(error as Error).message}`);
      }
    }
    progress(`exec round ${round + 1}/${rounds}: ${results.map((r) => `${(r.ms[round] ?? NaN).toFixed(0)} ms`).join(', ')}`);
  }
  fs.closeSync(devNull);
  fs.rmSync(tee, { force: true });
  return { results, failures };
}

function reportExec(measured: { results: ExecTimes[]; failures: string[] }, lineCount: number, rounds: number): void {
  const floor = measured.results[0]!.ms;
  const rows = measured.results.map((r) => {
    // tsx compiling the command line at its start is no cost of relaying: shown apart, and taken off in the last column.
    const start = measured.results.find((other) => other.what === 'true' && other.core === r.core);
    const net = r.what !== 'cat' || start === undefined ? [] : pairedRatios(r.ms.map((ms, i) => (ms === undefined || start.ms[i] === undefined ? undefined : ms - start.ms[i]!)), floor);
    return [
      r.label,
      spread(present(r.ms), sig3),
      spread(pairedRatios(r.ms, floor), fixed(2)),
      net.length === 0 ? '—' : spread(net, fixed(2)),
      `${present(r.ms).length}/${rounds}`,
    ];
  });
  emit(
    '',
    `### exec: ${grouped(lineCount)} lines of build output (held-out corpus, ${(fs.statSync(path.join(baseDir, `build-output-${lineCount}.txt`)).size / 1e6).toFixed(0)} MB), whole process`,
    '',
    ...table(['command', 'ms', 'time ÷ cat | tee (paired)', 'less its `exec -- true`, ÷ cat | tee (paired)', 'runs checked'], rows),
  );
  if (measured.failures.length > 0) emit('', ...measured.failures.map((f) => `- FAILED: ${f}`));
}

interface LatencyResult {
  label: string;
  /** Per round: p50, p99 and max of the delay of every line, ms. */
  p50: number[];
  p99: number[];
  max: number[];
  problems: string[];
}

/** Runs `argv` and times each line from its printing (its own timestamp) to its arrival here. */
async function lineDelays(argv: string[], env: NodeJS.ProcessEnv): Promise<{ delays: number[]; status: number | null }> {
  const child = spawn(argv[0]!, argv.slice(1), { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  const delays: number[] = [];
  let rest = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const now = performance.timeOrigin + performance.now();
    const text = rest + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      delays.push(now - Number(text.slice(start, text.indexOf(' ', start))));
      start = end + 1;
    }
    rest = text.slice(start);
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { delays, status };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function measureLatency(cores: Core[], lineCount: number, rounds: number): Promise<LatencyResult[]> {
  const { file } = writeBuildOutput(lineCount);
  const printer = [TIMED_LINES, file, String(lineCount)];
  const subjects: { label: string; core?: Core }[] = [
    { label: 'the printer alone (a pipe, no exec)' },
    ...cores.filter((core) => core.cli !== undefined).map((core) => ({ label: `${core.label}: \`exec -- node timed-lines.mjs\``, core })),
  ];
  const results = subjects.map((s): LatencyResult => ({ label: s.label, p50: [], p99: [], max: [], problems: [] }));
  for (let round = 0; round < rounds; round++) {
    for (const index of rotate(subjects.map((_, i) => i), round)) {
      const { core } = subjects[index]!;
      const result = results[index]!;
      const logDir = freshDir('latency');
      try {
        const argv = core === undefined ? [process.execPath, ...printer] : [process.execPath, ...execArgv(core, [process.execPath, ...printer])];
        const { delays, status } = await lineDelays(argv, cliEnv(logDir));
        if (status !== 0 || delays.length !== lineCount) result.problems.push(`round ${round + 1}: exit ${status}, ${delays.length} of ${lineCount} lines arrived`);
        if (core !== undefined) {
          // The log kept up: every line is in it, once the command has ended.
          const check = checkRecords(subjectFile(logDir), () => '', 'automake.exec.stdout');
          if (check.problem !== undefined || check.records !== lineCount) result.problems.push(`round ${round + 1}: ${check.problem ?? `${check.records} of ${lineCount} lines in the log`}`);
        }
        const sorted = delays.sort((a, b) => a - b);
        result.p50.push(percentile(sorted, 50));
        result.p99.push(percentile(sorted, 99));
        result.max.push(sorted.at(-1) ?? NaN);
      } finally {
        removeDir(logDir);
      }
    }
    progress(`latency round ${round + 1}/${rounds}: ${results.map((r) => `p99 ${(r.p99.at(-1) ?? NaN).toFixed(2)} ms`).join(', ')}`);
  }
  return results;
}

function reportLatency(results: LatencyResult[], lineCount: number, rounds: number): void {
  const rows = results.map((r) => [r.label, spread(r.p50, fixed(2)), spread(r.p99, fixed(2)), spread(r.max, fixed(1)), r.problems.length === 0 ? 'yes' : `NO: ${r.problems[0]}`]);
  emit(
    '',
    `### exec: how soon a printed line reaches the terminal, ${grouped(lineCount)} lines at about 40,000 a second, ${rounds} rounds`,
    '',
    'A child prints lines of build output led by the time of printing (scripts/subjects/timed-lines.mjs); this',
    'process reads exec\'s stdout from a pipe and takes each line\'s delay. Medians over rounds with [min–max].',
    '',
    ...table(['printed through', 'p50 ms', 'p99 ms', 'max ms', 'every line arrived and is in the log'], rows),
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
        // One record, 'Started', besides the session's header and end records.
        const check = checkRecords(subjectFile(dir), () => 'Started');
        if (check.problem !== undefined || check.records !== 1) failures.push(`startup.mjs: ${check.problem ?? `${check.records} records, expected 1`}`);
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
  emit('', `### Profile: the first core (text, redaction on) and the floor, ${grouped(count)} records of the ${HELD_OUT} corpus`);
  for (const subject of ['ours-text', 'floor']) {
    const dir = freshDir('profile');
    cpuProfileTop(`${subject}, ${grouped(count)} records`, [LOG_LINES, subject, HELD_OUT, String(count), dir]);
    removeDir(dir);
  }
  for (const subject of ['ours-text', 'floor']) {
    const dir = freshDir('strace');
    straceTop(`${subject}, ${grouped(count)} records`, process.execPath, [LOG_LINES, subject, HELD_OUT, String(count), dir]);
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
// Targets (issue 19), per core, on the held-out corpus
// ---------------------------------------------------------------------------

interface Target {
  name: string;
  measured: string;
  met: boolean;
}

function throughputTargets(result: ThroughputResult, core: Core): Target[] {
  const on = secondsOf(result, onId(core));
  const speedup = pairedRatios(secondsOf(result, PINO.id), on);
  const offOverFloor = pairedRatios(secondsOf(result, offId(core)), secondsOf(result, FLOOR.id));
  const worstRss = Math.max(...present(result.samples.get(onId(core))!).map((s) => s.maxRssKiB)) / 1024;
  const n = `${grouped(result.count)} ${result.corpus} records`;
  return [
    { name: `${core.label}: redaction on, lines/s ÷ pino async's, ${n}: at least 3×`, measured: `${spread(speedup, fixed(2))}×`, met: speedup.length > 0 && median(speedup) >= 3 },
    { name: `${core.label}: redaction on, peak RSS, ${n}: at most 100 MiB`, measured: `worst run ${worstRss.toFixed(0)} MiB`, met: worstRss <= 100 },
    { name: `${core.label}: redaction off, time ÷ the floor's, ${n}: at most 1.2×`, measured: `${spread(offOverFloor, fixed(2))}×`, met: offOverFloor.length > 0 && median(offOverFloor) <= 1.2 },
  ];
}

function execTargets(measured: { results: ExecTimes[]; failures: string[] }, latency: LatencyResult[] | undefined, cores: Core[]): Target[] {
  const floor = measured.results[0]!.ms;
  return cores.filter((core) => core.cli !== undefined).flatMap((core): Target[] => {
    const cat = measured.results.find((r) => r.what === 'cat' && r.core === core)!;
    const ratio = pairedRatios(cat.ms, floor);
    const targets = [{ name: `${core.label}: \`exec -- cat\` of build output ÷ \`cat | tee\`, time: at most 8×`, measured: `${spread(ratio, fixed(2))}×`, met: ratio.length > 0 && median(ratio) <= 8 }];
    const timedLines = latency?.find((r) => r.label.startsWith(`${core.label}:`));
    if (timedLines !== undefined) {
      targets.push({ name: `${core.label}: a line printed through exec reaches the terminal within 5 ms (p99), the log keeping up`, measured: `${spread(timedLines.p99, fixed(2))} ms`, met: timedLines.problems.length === 0 && median(timedLines.p99) <= 5 });
    }
    return targets;
  });
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const config = parseArgs(process.argv.slice(2));
  const args = process.argv.slice(2);
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  baseDir = config.baseDir;
  fs.mkdirSync(baseDir, { recursive: true });
  const buildDir = freshDir('build');
  const started = performance.now();
  try {
    ensureScriptPackages();
    const corpusModule = compileCores(config.cores, buildDir);
    childEnv = { ...process.env, BENCH_LOGGING_MODULE: config.cores[0]!.module, BENCH_CORPUS_MODULE: corpusModule };
    // Children run bare node: no loader from NODE_OPTIONS, no logging settings from the environment.
    for (const name of Object.keys(childEnv)) if (name.startsWith('AUTOMAKE_') || name === 'NODE_OPTIONS') delete childEnv[name];

    emit(`## Benchmark results (${config.quick ? 'quick run' : 'full run'}), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '', `Command: \`${command}\``, '', ...machine(baseDir, config.cores));
    emit(
      '',
      'Floor: each record as our text line (the timestamp taken once, no redaction), appended to a string',
      'and written with `fs.writeSync` every 64 KiB: what any logger of these lines must pay at the least.',
      'Seconds run from logger creation to every record in the file (pino: until its end() calls fsync; the',
      'fsync itself is not timed, as no other subject does one). Medians with [min–max]; ratios paired round by round.',
    );
    const targets: Target[] = [];

    if (config.sections.has('throughput')) {
      // One short unrecorded round, so that the first timed round starts as warm as the others.
      for (const corpus of config.corpora) for (const run of throughputRuns(config.cores, corpus)) timedRun(run, corpus, 20_000);
      const results = measureThroughput(config.cores, config.corpora, config.count, config.rounds);
      for (const result of results) reportThroughput(result, config.rounds);
      reportRedactionCost(results, config.cores);
      const heldOut = results.find((r) => r.corpus === HELD_OUT);
      if (heldOut !== undefined) for (const core of config.cores) targets.push(...throughputTargets(heldOut, core));
      const failures = results.reduce((sum, r) => sum + r.failures.length, 0);
      targets.push({ name: 'every throughput run checked (count and order)', measured: failures === 0 ? 'all runs' : `${failures} failed`, met: failures === 0 });
      if (config.profile) profileThroughput(config.count);
    }

    if (config.sections.has('exit')) {
      const results = measureExitSafety(config.cores, config.exitRecords, config.exitTrials);
      reportExitSafety(results, config.exitRecords, config.exitTrials);
      for (const result of results.filter((r) => r.run.core !== undefined)) {
        targets.push({
          name: `exit safety, ${result.run.label}: ${grouped(config.exitRecords)} of ${grouped(config.exitRecords)} records in every trial`,
          measured: `${result.landed.filter((n) => n === config.exitRecords).length}/${config.exitTrials} trials complete, min ${grouped(Math.min(...result.landed))}`,
          met: result.problems.length === 0 && result.landed.every((n) => n === config.exitRecords),
        });
      }
    }

    if (config.sections.has('exec')) {
      const measured = measureExec(config.cores, config.execLines, config.execRounds);
      reportExec(measured, config.execLines, config.execRounds);
      const latency = await measureLatency(config.cores, config.latencyLines, config.latencyRounds);
      reportLatency(latency, config.latencyLines, config.latencyRounds);
      targets.push(...execTargets(measured, latency, config.cores));
    }

    if (config.sections.has('startup')) {
      const result = measureStartup(buildDir, config.startupRounds);
      reportStartup(result, config.startupRounds);
      const over = result.ms[3]!.map((ms, round) => ms - result.ms[0]![round]!);
      targets.push({
        name: `startup (${config.cores[0]!.label}): initLogging on an empty directory, at most 3 ms over \`node -e ""\``,
        measured: `${spread(over, fixed(1))} ms`,
        met: result.failures.length === 0 && median(over) <= 3,
      });
      if (config.profile) {
        const dir = freshDir('startup');
        cpuProfileTop('startup.mjs', [path.join(buildDir, 'startup.mjs'), dir]);
        removeDir(dir);
      }
    }

    if (config.sections.has('prune') || config.sections.has('prune-young')) {
      for (const allOld of config.sections.has('prune') ? [true, false] : [false]) {
        const results = config.pruneSizes.map((count) => measurePrune(count, config.pruneRounds(count), allOld));
        reportPrune(results, allOld);
        const tenK = results.find((r) => r.count === 10_000);
        if (allOld && tenK !== undefined) {
          const ratio = pairedRatios(tenK.ours, tenK.find);
          targets.push({
            name: `prune 10,000 files, all old (${config.cores[0]!.label}): no slower than \`find … -delete\` (whole process)`,
            measured: `ours ÷ find ${spread(ratio, fixed(2))}`,
            met: median(ratio) <= 1 && tenK.notes.every((n) => !/left/.test(n)),
          });
        }
        if (!allOld && tenK !== undefined) {
          const ratio = pairedRatios(tenK.ours, tenK.find);
          targets.push({
            name: `prune 10,000 young files (${config.cores[0]!.label}), ages and sizes for the budget: within 1.5x \`find … -size +0 -mtime +7\` (whole process)`,
            measured: `ours ÷ find ${spread(ratio, fixed(2))}`,
            met: median(ratio) <= 1.5,
          });
        }
      }
      if (config.profile) profilePrune(10_000);
    }

    emit('', '### Targets', '', ...table(['target', 'measured (median [min–max])', 'met'], targets.map((t) => [t.name, t.measured, t.met ? 'yes' : '**no**'])));
    const minutes = (performance.now() - started) / 60_000;
    emit('', `Reproduce: \`${command}\` (this run took ${minutes.toFixed(1)} minutes).`);
    const outputs = [...(config.out !== undefined ? [config.out] : []), ...(!config.quick && config.sections.size === SECTIONS.length ? [RESULTS] : [])];
    for (const out of outputs) {
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, report.join('\n') + '\n');
      process.stderr.write(`bench: tables written to ${path.relative(process.cwd(), out)}\n`);
    }
  } finally {
    removeDir(buildDir);
    if (!process.argv.some((arg) => arg.startsWith('--dir='))) removeDir(baseDir);
  }
}

await main();
