/**
 * The `automake` bin (docs/design.md §10 "Starts fast"): a small CommonJS loader that
 * runs the bundled command line with the V8 code cache `npm run build` recorded for it.
 * Node 20 has no compile cache of its own (`module.enableCompileCache` came in Node
 * 22), and compiling the 150 KB bundle and the functions a command runs is about a
 * fifth of what `logs show` adds to `node -e ""`. V8 checks that a cache is of this
 * V8, these flags and a source of this length; the loader also checks that it is of
 * this bundle: the bundle's first line names its SHA-256, and the cache starts with
 * that line. (Not by dates: `npm install` gives files the time they were unpacked.)
 * A cache that is not used costs nothing but its read: the bundle is then compiled
 * as any script is.
 *
 * scripts/build.ts writes these files; tests/package.test.ts checks the cache is taken.
 */

/** The bundled command line, the cache recorded for it, and the bin that loads them, in dist/. */
export const BUNDLE_FILE = 'automake-cli.cjs';
export const CACHE_FILE = 'automake-cli.cache';
export const BIN_FILE = 'automake.cjs';

/**
 * The bundle runs as Node runs any CommonJS file: inside a function of these five
 * parameters. The source, and so the cache, must be the same when the cache is
 * recorded and when it is used; the wrapper keeps line numbers as they are in the file.
 */
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const WRAPPER_END = '\n})';

/** dist/automake.cjs: loads the bundle with its cache, if the cache is of this bundle. */
export const BIN_SOURCE = `#!/usr/bin/env node
// automake: the command line. Built by scripts/build.ts; why it loads the bundle
// this way is in scripts/code-cache.ts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const bundle = path.join(__dirname, ${JSON.stringify(BUNDLE_FILE)});
const source = fs.readFileSync(bundle, 'utf8');
// A cache starts with the bundle's first line, which names its SHA-256.
const cacheHeader = Buffer.from(source.slice(0, source.indexOf('\\n') + 1));
let cachedData;
try {
  const cache = fs.readFileSync(path.join(__dirname, ${JSON.stringify(CACHE_FILE)}));
  if (cache.subarray(0, cacheHeader.length).equals(cacheHeader)) cachedData = cache.subarray(cacheHeader.length);
} catch {
  // No cache: the bundle is compiled as usual.
}
// Named by its bare file name: V8 keeps the name a cache was recorded under,
// which would otherwise be a path on the machine that built it.
const script = new vm.Script(${JSON.stringify(WRAPPER_START)} + source + ${JSON.stringify(WRAPPER_END)}, { filename: ${JSON.stringify(BUNDLE_FILE)}, cachedData });
// For the build, which records the cache through this file (recordingScript), and
// for tests/package.test.ts, which requires it to see whether V8 took the cache.
module.exports.script = script;
module.exports.cacheHeader = cacheHeader;
module.exports.codeCacheTaken = cachedData !== undefined && !script.cachedDataRejected;
script.runInThisContext()(exports, require, module, bundle, __dirname);
`;

/**
 * A script for `node -e` that records the cache: it runs `automake logs show`
 * through the bin (its log in AUTOMAKE_LOG_DIR, which the caller sets), and at
 * exit, once the command's functions are compiled, writes what V8 has compiled,
 * after the bundle's header, to CACHE_FILE.
 */
export function recordingScript(dist: string): string {
  const bin = `${dist}/${BIN_FILE}`;
  return `'use strict';
process.argv = [process.argv[0], ${JSON.stringify(bin)}, 'logs', 'show'];
const bin = require(${JSON.stringify(bin)});
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(`${dist}/${CACHE_FILE}`)}, Buffer.concat([bin.cacheHeader, bin.script.createCachedData()])));
`;
}

/** The bundle's text as the bin runs it: a first line naming its SHA-256, for the cache to be checked against. */
export function identifiedBundle(text: string, sha256: string): string {
  return `// automake-cli sha256 ${sha256}\n${text}`;
}
