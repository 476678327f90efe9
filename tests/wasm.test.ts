/**
 * The WebAssembly in lib/logging.ts (docs/design.md §8 and §10) is the build of its
 * source, scripts/wasm/chunk.wat, by the real `wat2wasm` (Debian's wabt; `.ci/run`
 * installs it). Skips, saying why, where wat2wasm is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers/child.ts';

const version = spawnSync('wat2wasm', ['--version'], { encoding: 'utf8' });
const skip = version.error ? `wat2wasm is not installed (apt-get install wabt; .ci/run does): ${version.error.message}` : false;

test(`CHUNK_WASM in lib/logging.ts is wat2wasm ${version.stdout?.trim() ?? ''}'s build of scripts/wasm/chunk.wat`, { skip }, (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-wasm-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const output = path.join(dir, 'chunk.wasm');
  const built = spawnSync('wat2wasm', [path.join(ROOT, 'scripts', 'wasm', 'chunk.wat'), '-o', output], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const embedded = /const CHUNK_WASM = '([A-Za-z0-9+/=]+)';/.exec(fs.readFileSync(path.join(ROOT, 'lib', 'logging.ts'), 'utf8'));
  assert.ok(embedded !== null, 'lib/logging.ts has CHUNK_WASM');
  assert.equal(embedded[1], fs.readFileSync(output).toString('base64'), 'rebuild it: wat2wasm scripts/wasm/chunk.wat -o /dev/stdout | base64 -w0');
});
