/**
 * `npm run build` (docs/design.md §10 "Starts fast"): compiles lib/ to plain JavaScript
 * in dist/ with tsc, one .js file per source file, and the package's types:
 *
 *   dist/logging.js + logging.d.ts   the package's export
 *   dist/bin.js                      the `automake` bin: turns on Node's compile cache, then runs dist/main.js
 *   dist/main.js, dist/cli/*.js      the command line
 *
 * dist/ is emptied first, so that a source removed from lib/ leaves no file behind
 * for `npm pack` to ship. `npm pack` and `npm publish` run this (`prepack`).
 *
 *   npx tsx scripts/build.ts
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');

fs.rmSync(DIST, { recursive: true, force: true });
execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
// tsc keeps the bin's `#!/usr/bin/env node` but not a mode: the run bit lets it run as a command from the repository too.
fs.chmodSync(path.join(DIST, 'bin.js'), 0o755);
