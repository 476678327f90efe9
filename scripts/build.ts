/**
 * `npm run build` (docs/design.md §10 "Starts fast"): compiles lib/ to dist/ and bundles
 * the command line into one file that plain `node` starts quickly.
 *
 *   dist/logging.js + logging.d.ts   the package's export, compiled by tsc
 *   dist/main.js, dist/cli/*.js      the command line unbundled (kept for comparison)
 *   dist/automake.js                 the command line bundled by esbuild: the `bin`
 *
 * The bundle, not dist/main.js, is the `bin`: loading ten modules one by one cost
 * `logs show` 1.29–1.37× the time of `node -e ""`; one file costs 1.05–1.18×
 * (scripts/bench-cli.ts measures both).
 *
 *   npx tsx scripts/build.ts
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const NODE_SHEBANG = '#!/usr/bin/env node\n';

fs.rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });

const result = await build({
  entryPoints: [path.join(ROOT, 'lib', 'main.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  // package.json's engines: the oldest Node the bundle must parse on.
  target: 'node20.11',
  write: false,
  logLevel: 'warning',
});
const [bundle] = result.outputFiles;
if (bundle === undefined) throw new Error('esbuild produced no output');
writeExecutable(path.join(DIST, 'automake.js'), bundle.text);
writeExecutable(path.join(DIST, 'main.js'), fs.readFileSync(path.join(DIST, 'main.js'), 'utf8'));

/**
 * Writes `text` with a `node` shebang in place of lib/main.ts's `tsx` one (which tsc
 * and esbuild both keep), and the run bit, so that the file runs as a command.
 */
function writeExecutable(file: string, text: string): void {
  fs.writeFileSync(file, NODE_SHEBANG + text.replace(/^#!.*\n/, ''), { mode: 0o755 });
  fs.chmodSync(file, 0o755);
}
