/**
 * Benchmark corpora: records shaped like what an AI coding agent and its tools
 * log, so that throughput is measured on the inputs that slow a redacting logger
 * down, not on ones that avoid them.
 *
 * - `tuning` and `held-out` are drawn from the same kinds (build and test output,
 *   package managers, `key=value` lines, records with extra fields, URLs,
 *   JSON-shaped messages, rare stack traces, and 1 record in 100 holding a fake
 *   secret of docs/design.md §8) with different templates, words and seeds:
 *   tune on the first, report the second, so nobody tunes to the inputs.
 * - `no-trigger` holds none of `=`, `:`, `/`, `_`, `-`, quotes, or tokens mixing
 *   digits and letters: what redaction costs when there is nothing to find.
 *
 * Deterministic: the same name, size and seed give the same records.
 * The secrets are fake; they only have the shape of real ones.
 *
 *   npx tsx scripts/corpus.ts held-out 20      print 20 records of a corpus
 */
import { pathToFileURL } from 'node:url';

/**
 * The benchmark subjects make this many records of a corpus before the clock
 * starts and log record i % POOL_SIZE: many more than any cache a logger might
 * keep, a few MB beside its RSS.
 */
export const POOL_SIZE = 10_000;

/** One record: a message, and extra fields for some. */
export interface CorpusRecord {
  message: string;
  fields?: Record<string, unknown>;
}

export const CORPUS_NAMES = ['tuning', 'held-out', 'no-trigger', 'held-out-ascii'] as const;
export type CorpusName = (typeof CORPUS_NAMES)[number];

// Seeds of each corpus; a corpus is its templates and words as much as its seed.
const SEEDS: Record<CorpusName, number> = { 'tuning': 0x5eed_0001, 'held-out': 0x5eed_0002, 'no-trigger': 0x5eed_0003, 'held-out-ascii': 0x5eed_0002 };

/** A small seeded generator (mulberry32): fast, and the same on every runtime. */
export class Rand {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** `length` characters of `alphabet`. */
  chars(length: number, alphabet = ALNUM): string {
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[this.int(alphabet.length)];
    return text;
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Words one corpus draws from; the other corpus has its own. */
interface Words {
  dirs: string[];
  modules: string[];
  crates: string[];
  packages: string[];
  hosts: string[];
  tools: string[];
  tests: string[];
  verbs: string[];
}

const TUNING_WORDS: Words = {
  dirs: ['src', 'lib', 'src/core', 'src/net', 'lib/util', 'pkg/server'],
  modules: ['module', 'parser', 'token_stream', 'http_client', 'event_loop', 'config_loader'],
  crates: ['serde_json', 'tokio', 'regex', 'clap', 'anyhow', 'hyper'],
  packages: ['lodash', 'react', 'typescript', 'eslint', 'vitest', 'express'],
  hosts: ['api.github.com', 'registry.npmjs.org', 'pypi.org', 'api.openai.com'],
  tools: ['read_file', 'write_file', 'bash', 'grep', 'list_dir'],
  tests: ['parses_empty_input', 'round_trip', 'handles_unicode', 'rejects_bad_header', 'merges_config'],
  verbs: ['Reading', 'Editing', 'Searching', 'Planning', 'Checking'],
};

const HELD_OUT_WORDS: Words = {
  dirs: ['app', 'internal/store', 'services/billing', 'crates/engine', 'packages/ui/src'],
  modules: ['scheduler', 'rate_limiter', 'blob_cache', 'auth_middleware', 'query_planner', 'diff_view'],
  crates: ['rayon', 'reqwest', 'tracing_subscriber', 'thiserror', 'bytes', 'sqlx'],
  packages: ['zod', 'vite', 'prettier', 'next', 'jest', 'webpack'],
  hosts: ['gitlab.example.com', 'files.pythonhosted.org', 'storage.googleapis.com', 'hooks.internal.dev'],
  tools: ['apply_patch', 'run_tests', 'search_code', 'open_url', 'view_image'],
  tests: ['evicts_oldest_entry', 'retries_on_timeout', 'keeps_order', 'splits_long_lines', 'refunds_partial_charge'],
  verbs: ['Inspecting', 'Refactoring', 'Tracing', 'Reviewing', 'Summarizing'],
};

type Template = (r: Rand, w: Words, i: number) => CorpusRecord;

const msg = (message: string): CorpusRecord => ({ message });

/** A path such as `src/net/http_client_12.c`. */
function sourcePath(r: Rand, w: Words, ext: string): string {
  return `${r.pick(w.dirs)}/${r.pick(w.modules)}_${r.int(90)}.${ext}`;
}

// Each kind: [weight in 100, tuning templates, held-out templates].
type Kind = [weight: number, tuning: Template[], heldOut: Template[]];

const BUILD: Kind = [24, [
  (r, w, i) => {
    const name = `${r.pick(w.modules)}_${r.int(90)}`;
    return msg(`[${pad(i % 1_000_000, 6)}] compiling ${r.pick(w.dirs)}/${name}.c -> build/obj/${name}.o ok`);
  },
  (r, w) => msg(`   Compiling ${r.pick(w.crates)} v1.${r.int(40)}.${r.int(200)}`),
  (r, w) => msg(`${sourcePath(r, w, 'ts')}(${r.int(400) + 1},${r.int(60) + 1}): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.`),
  (r, w) => msg(`gcc -O2 -Wall -Iinclude -c ${sourcePath(r, w, 'c')} -o build/${r.pick(w.modules)}.o`),
  (r) => msg(`make[${r.int(3) + 1}]: Entering directory '/home/dev/project/build'`),
], [
  (r, w, i) => msg(`(${i % 10_000}/10000) CC ${sourcePath(r, w, 'cpp')} => out/${r.pick(w.modules)}.o`),
  (r, w) => msg(`    Finished \`release\` profile [optimized] target(s) in ${r.int(90)}.${r.int(100)}s; ${r.pick(w.crates)} rebuilt`),
  (r, w) => msg(`warning: unused variable: \`${r.pick(w.modules)}\` --> ${sourcePath(r, w, 'rs')}:${r.int(300)}:${r.int(40)}`),
  (r, w) => msg(`vite v5.${r.int(5)}.${r.int(9)} building for production... ✓ ${r.int(2000)} modules transformed, ${r.pick(w.dirs)}/index_${r.chars(8, HEX)}.js 142.${r.int(99)} kB`),
  (r) => msg(`ninja: build stopped: subcommand failed. [${r.int(900)}/${r.int(900) + 900}] Linking CXX executable bin/server`),
]];

const TESTS: Kind = [20, [
  (r, w) => msg(`tests/test_${r.pick(w.modules)}.py::test_${r.pick(w.tests)} ${r.next() < 0.9 ? 'PASSED' : 'FAILED'} [ ${r.int(100)}%]`),
  (r, w) => msg(`PASS ${sourcePath(r, w, 'test.ts')} (${r.int(5)}.${pad(r.int(1000), 3)} s)`),
  (r, w) => msg(`test ${r.pick(w.modules)}::tests::${r.pick(w.tests)} ... ok`),
  (r, w) => msg(`  ✓ ${r.pick(w.tests).replaceAll('_', ' ')} (${r.int(40)} ms)`),
], [
  (r, w) => msg(`--- FAIL: Test${r.pick(w.tests).replaceAll('_', '')} (0.${pad(r.int(100), 2)}s) ${r.pick(w.dirs)}/${r.pick(w.modules)}_test.go:${r.int(200)}: got ${r.int(10)}, want ${r.int(10)}`),
  (r, w) => msg(`ok      github.com/acme/${r.pick(w.dirs)}  ${r.int(9)}.${pad(r.int(1000), 3)}s  coverage: ${r.int(100)}.${r.int(10)}% of statements`),
  (r, w) => msg(` FAIL  ${sourcePath(r, w, 'spec.tsx')} > ${r.pick(w.tests).replaceAll('_', ' ')}: AssertionError: expected ${r.int(100)} to equal ${r.int(100)}`),
  (r) => msg(`==== ${r.int(400)} passed, ${r.int(5)} failed, ${r.int(20)} skipped, ${r.int(3)} warnings in ${r.int(120)}.${pad(r.int(100), 2)}s ====`),
]];

const PACKAGES: Kind = [8, [
  (r, w) => msg(`npm WARN deprecated ${r.pick(w.packages)}@${r.int(9)}.${r.int(20)}.${r.int(9)}: This version is no longer supported`),
  (r) => msg(`added ${r.int(900)} packages, and audited ${r.int(900) + 900} packages in ${r.int(30)}s`),
  (r, w) => msg(`Collecting ${r.pick(w.packages)}==${r.int(5)}.${r.int(30)}.${r.int(9)} (from -r requirements.txt (line ${r.int(40)}))`),
], [
  (r, w) => msg(`pnpm: + ${r.pick(w.packages)} ${r.int(9)}.${r.int(20)}.${r.int(9)} (${r.int(9)}.${r.int(20)}.${r.int(9)} is available)`),
  (r, w) => msg(`  Downloading ${r.pick(w.crates)}-${r.int(3)}.${r.int(20)}.${r.int(9)}-py3-none-any.whl (${r.int(900)} kB)`),
  (r, w) => msg(`error: could not compile \`${r.pick(w.crates)}\` (lib) due to ${r.int(9) + 1} previous errors; ${r.int(3)} warnings emitted`),
]];

const KEY_VALUE: Kind = [15, [
  (_r, _w, i) => msg(`Executing command make build i=${i}`),
  (r, w) => msg(`tool call name=${r.pick(w.tools)} path=${sourcePath(r, w, 'ts')} bytes=${r.int(90_000)} ms=${r.int(900)}`),
  (r) => msg(`step=${r.int(60)} tokens_in=${r.int(9000)} tokens_out=${r.int(2000)} cost_usd=0.${pad(r.int(10_000), 4)}`),
], [
  (r, w) => msg(`dispatch tool="${r.pick(w.tools)}" status=ok elapsed=${r.int(5000)}ms retries=${r.int(3)}`),
  (r, w) => msg(`--model claude-sonnet --max-turns ${r.int(50)} --cwd /srv/${r.pick(w.dirs)} --timeout=${r.int(600)}`),
  (r) => msg(`cache hit_ratio=0.${pad(r.int(100), 2)} entries=${r.int(50_000)} evicted=${r.int(300)} max_tokens=${r.int(8192)}`),
]];

const FIELDS: Kind = [12, [
  (r, w) => ({ message: 'Tool finished', fields: { tool: r.pick(w.tools), exit_code: r.int(3), duration_ms: r.int(9000), cwd: `/home/dev/${r.pick(w.dirs)}` } }),
  (r, w) => ({ message: `${r.pick(w.verbs)} ${sourcePath(r, w, 'py')}`, fields: { lines: r.int(900), changed: r.next() < 0.5 } }),
  (r) => ({ message: 'Model response', fields: { model: 'gpt-4o', tokens_used: r.int(9000), stop_reason: 'end_turn', latency_ms: r.int(4000) } }),
], [
  (r, w) => ({ message: 'Subprocess ended', fields: { argv: ['pytest', '-x', `tests/${r.pick(w.modules)}`], status: r.int(2), wall_s: r.int(90) / 10 } }),
  (r, w) => ({ message: `${r.pick(w.verbs)} the diff`, fields: { file: sourcePath(r, w, 'go'), hunks: r.int(12), author: 'dev@example.com' } }),
  (r) => ({ message: 'Turn complete', fields: { turn: r.int(40), usage: { input_tokens: r.int(20_000), output_tokens: r.int(4000) }, max_tokens: 8192 } }),
]];

const URLS: Kind = [8, [
  (r, w) => msg(`GET https://${r.pick(w.hosts)}/repos/acme/${r.pick(w.modules)}/pulls?state=open&per_page=100 200 ${r.int(900)}ms`),
  (r, w) => msg(`fetching https://${r.pick(w.hosts)}/${r.pick(w.packages)}/-/${r.pick(w.packages)}-${r.int(9)}.${r.int(9)}.${r.int(9)}.tgz`),
], [
  (r, w) => msg(`POST http://${r.pick(w.hosts)}:${8000 + r.int(1000)}/v2/jobs/${r.chars(12, HEX)}/cancel -> 409 Conflict`),
  (r, w) => msg(`Redirected to https://${r.pick(w.hosts)}/download?file=${r.pick(w.modules)}.tar.gz&sig_version=4&expires=${1_700_000_000 + r.int(1e6)}`),
]];

const JSON_SHAPED: Kind = [7, [
  (r, w) => msg(`{"type":"tool_use","id":"toolu_${r.chars(20)}","name":"${r.pick(w.tools)}","input":{"path":"${sourcePath(r, w, 'ts')}"}}`),
  (r) => msg(`{"event":"progress","done":${r.int(100)},"total":100,"phase":"indexing"}`),
], [
  (r, w) => msg(`response: {"status": "error", "code": ${400 + r.int(100)}, "detail": "field '${r.pick(w.modules)}' is required"}`),
  (r, w) => msg(`[{"op": "replace", "path": "/spec/replicas", "value": ${r.int(9)}}, {"op": "add", "path": "/metadata/labels/${r.pick(w.modules)}"}]`),
]];

const PROSE: Kind = [5, [
  (r, w) => msg(`${r.pick(w.verbs)} the failing test before changing ${r.pick(w.modules)}.`),
  (r) => msg(`Session resumed after ${r.int(60)} seconds idle`),
], [
  (r, w) => msg(`${r.pick(w.verbs)} why the build broke; the last green commit was ${r.chars(7, HEX)}.`),
  (r) => msg(`Waiting for ${r.int(4) + 1} background jobs to finish`),
]];

const STACK: Kind = [1, [
  (r, w) => msg(`TypeError: Cannot read properties of undefined (reading 'length')\n    at parse (${sourcePath(r, w, 'ts')}:${r.int(300)}:${r.int(40)})\n    at async Promise.all (index ${r.int(4)})`),
], [
  (r, w) => msg(`Traceback (most recent call last):\n  File "${sourcePath(r, w, 'py')}", line ${r.int(300)}, in run\n    result = handler(event)\nKeyError: '${r.pick(w.modules)}'`),
]];

const KINDS: Kind[] = [BUILD, TESTS, PACKAGES, KEY_VALUE, FIELDS, URLS, JSON_SHAPED, PROSE, STACK];

// Fake secrets of the kinds docs/design.md §8 lists, one per record that holds one.
const TUNING_SECRETS: Template[] = [
  (r) => msg(`curl -H 'Authorization: Bearer ${r.chars(40)}' https://api.example.com/v1/me`),
  (r) => msg(`export OPENAI_API_KEY=sk-proj-${r.chars(48)}`),
  (r) => msg(`git remote set-url origin https://x-access-token:ghp_${r.chars(36)}@github.com/acme/app.git`),
  (r) => msg(`Using credentials AKIA${r.chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')} for s3 upload`),
  (r) => msg(`psql connect host=db.internal user=app password=${r.chars(14)} dbname=main`),
  (r) => ({ message: 'Calling the API', fields: { url: 'https://api.example.com', api_key: `sk-${r.chars(32)}` } }),
];

const HELD_OUT_SECRETS: Template[] = [
  (r) => msg(`aws_secret_access_key = ${r.chars(40)}`),
  (r) => msg(`cloning https://deploy:${r.chars(12)}@gitlab.example.com/acme/infra.git`),
  (r) => msg(`< Authorization: token ${r.chars(40, HEX)}`),
  (r) => msg(`SLACK_BOT_TOKEN is xoxb-${r.int(1e12)}-${r.chars(24)}`),
  (r) => msg(`glpat-${r.chars(20)} was printed by the setup script`),
  (r) => ({ message: 'Session refreshed', fields: { user: 'dev', refreshToken: r.chars(32), expires_in: 3600 } }),
];

// The no-trigger corpus: words, spaces, plain numbers, commas and full stops.
const NO_TRIGGER_WORDS = ['reading', 'the', 'project', 'files', 'before', 'making', 'changes', 'running', 'tests', 'again',
  'after', 'fix', 'all', 'passed', 'in', 'seconds', 'build', 'finished', 'with', 'no', 'warnings', 'waiting', 'for', 'output',
  'looking', 'at', 'parser', 'module', 'next', 'step', 'is', 'review', 'summary', 'of', 'work', 'done', 'so', 'far'];

function noTriggerRecord(r: Rand): CorpusRecord {
  const words: string[] = [];
  const length = 6 + r.int(10);
  for (let i = 0; i < length; i++) words.push(r.next() < 0.12 ? String(r.int(5000)) : r.pick(NO_TRIGGER_WORDS));
  words[0] = words[0]![0]!.toUpperCase() + words[0]!.slice(1);
  return msg(words.join(' ') + (r.next() < 0.5 ? '.' : ', then continuing'));
}

/** Which record of a corpus holds a secret: one in 100, the last of each hundred. */
export function holdsSecret(index: number): boolean {
  return index % 100 === 99;
}

/**
 * A string as one read from a pipe or a file is: one flat piece. One built by
 * many `+` is a tree that V8 walks at every use; a subject cycling through a
 * pool would pay that walk a hundred times for the generator's sake.
 */
function flat(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * `count` records of corpus `name`, the same for the same name, count and seed.
 * `held-out-ascii` is `held-out` with its few characters beyond ASCII (the ✓ of
 * test runners) made `*`: one such character in a batch makes V8 hold the whole
 * batch as a two-byte string, and this corpus shows what that costs.
 */
export function makeCorpus(name: CorpusName, count: number, seed: number = SEEDS[name]): CorpusRecord[] {
  const ascii = name === 'held-out-ascii';
  return makeRecords(ascii ? 'held-out' : name, count, seed).map((record) => {
    const message = ascii ? record.message.replace(/[^\x00-\x7f]/g, '*') : record.message;
    return { ...record, message: flat(message) };
  });
}

function makeRecords(name: CorpusName, count: number, seed: number): CorpusRecord[] {
  const r = new Rand(seed);
  const records: CorpusRecord[] = [];
  if (name === 'no-trigger') {
    for (let i = 0; i < count; i++) records.push(noTriggerRecord(r));
    return records;
  }
  const heldOut = name === 'held-out';
  const words = heldOut ? HELD_OUT_WORDS : TUNING_WORDS;
  const secrets = heldOut ? HELD_OUT_SECRETS : TUNING_SECRETS;
  const totalWeight = KINDS.reduce((sum, [weight]) => sum + weight, 0);
  for (let i = 0; i < count; i++) {
    if (holdsSecret(i)) {
      records.push(r.pick(secrets)(r, words, i));
      continue;
    }
    let roll = r.int(totalWeight);
    const kind = KINDS.find(([weight]) => (roll -= weight) < 0)!;
    records.push(r.pick(heldOut ? kind[2] : kind[1])(r, words, i));
  }
  return records;
}

/** `count` lines of build and test output, no secrets: what `exec` relays from a build. */
export function buildOutput(name: CorpusName, count: number, seed: number = SEEDS[name]): string[] {
  const r = new Rand(seed);
  const words = name === 'held-out' ? HELD_OUT_WORDS : TUNING_WORDS;
  const templates = [BUILD, TESTS, PACKAGES].flatMap((kind) => (name === 'held-out' ? kind[2] : kind[1]));
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(r.pick(templates)(r, words, i).message);
  return lines;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [name = 'held-out', countText = '20'] = process.argv.slice(2);
  if (!(CORPUS_NAMES as readonly string[]).includes(name)) throw new Error(`"name" must be one of ${CORPUS_NAMES.join(', ')}: received ${name}`);
  for (const record of makeCorpus(name as CorpusName, Number(countText))) {
    process.stdout.write(record.message + (record.fields ? ' ' + JSON.stringify(record.fields) : '') + '\n');
  }
}
