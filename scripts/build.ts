/**
 * `npm run build` (docs/design.md §10 "Starts fast"): compiles lib/ to dist/ and bundles
 * the command line into one file that plain `node` starts quickly.
 *
 *   dist/logging.js + logging.d.ts   the package's export, compiled by tsc
 *   dist/main.js, dist/cli/*.js      the command line unbundled (kept for comparison)
 *   dist/automake-cli.cjs            the command line bundled by esbuild
 *   dist/automake-cli.cache          V8's code cache for it, recorded by running `logs show`
 *   dist/automake.cjs                the `bin`: runs the bundle with the cache (scripts/code-cache.ts)
 *
 * The bundle, not dist/main.js, is the `bin`: loading ten modules one by one cost
 * `logs show` 1.29–1.37× the time of `node -e ""`; one file costs 1.05–1.18×
 * (scripts/bench-cli.ts measures both). It is CommonJS: on Node 20 an empty ES
 * module starts 10% slower than `node -e ""`, an empty CommonJS one 1–2%, because
 * the ES module loader is set up only for an ES module.
 *
 *   npx tsx scripts/build.ts
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { BIN_FILE, BIN_SOURCE, BUNDLE_FILE, CACHE_FILE, identifiedBundle, recordingScript } from './code-cache.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const NODE_SHEBANG = '#!/usr/bin/env node\n';

fs.rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

const result = await build({
  entryPoints: [path.join(ROOT, 'lib', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // import() of a Node module becomes require(): the bundle runs in vm.Script
  // (scripts/code-cache.ts), where a real import() has no loader to call.
  supported: { 'dynamic-import': false },
  // lib/main.ts finds package.json from import.meta.url, which CommonJS lacks.
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: '"use strict";\nvar importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  // package.json's engines: the oldest Node the bundle must parse on.
  target: 'node20.11',
  write: false,
  logLevel: 'warning',
});
const [bundle] = result.outputFiles;
if (bundle === undefined) throw new Error('esbuild produced no output');
// No shebang: the bundle is not run itself but by the bin, inside a function.
const bundleText = bundle.text.replace(/^#!.*\n/, '');
fs.writeFileSync(path.join(DIST, BUNDLE_FILE), identifiedBundle(bundleText, createHash('sha256').update(bundleText).digest('hex')));
writeExecutable(path.join(DIST, BIN_FILE), BIN_SOURCE);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-build-'));
try {
  execFileSync(process.execPath, ['-e', recordingScript(DIST)], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AUTOMAKE_LOG_DIR: scratch } });
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
if (!fs.existsSync(path.join(DIST, CACHE_FILE))) throw new Error(`recording ${CACHE_FILE} wrote nothing`);
writeExecutable(path.join(DIST, 'main.js'), fs.readFileSync(path.join(DIST, 'main.js'), 'utf8'));

/**
 * Writes `text` with a `node` shebang in place of lib/main.ts's `tsx` one (which tsc
 * and esbuild both keep), and the run bit, so that the file runs as a command.
 */
function writeExecutable(file: string, text: string): void {
  fs.writeFileSync(file, NODE_SHEBANG + text.replace(/^#!.*\n/, ''), { mode: 0o755 });
  fs.chmodSync(file, 0o755);
}
