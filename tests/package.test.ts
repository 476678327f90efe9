/**
 * A real package (docs/design.md §11): the tarball `npm pack` makes installs into an empty
 * project, with no network, on Node 20 and on Node 24; there `npx automake` runs the
 * compiled command line, `import { initLogging } from 'automake-logging'` works from
 * JavaScript, and TypeScript finds the types. This is also where the command line
 * runs from its build (dist/) rather than through tsx.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, startChild, type ChildResult } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { installTool, NPM_CLI, TOOLS, type Installed } from './helpers/tools.ts';
import { BIN_FILE, BUNDLE_FILE, CACHE_FILE } from '../scripts/code-cache.ts';

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const NPX_CLI = path.join(path.dirname(NPM_CLI), 'npx-cli.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TIMEOUT_MS = 120_000;

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return startChild([file, ...args], { cwd: options.cwd, env: options.env ?? process.env, input: '', timeoutMs: TIMEOUT_MS }).done;
}

let tarball = '';

before(async () => {
  // Outside the repository: the consumer projects in it must find no node_modules above them.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-package-'));
  // npm pack runs `prepare`, so the tarball is built from the sources as they are now.
  const packed = await run(process.execPath, [NPM_CLI, 'pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  assert.equal(packed.code, 0, `npm pack: ${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  assert.ok(info !== undefined);
  tarball = path.join(dir, info.filename);
});

after(() => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }));

test('the tarball holds the build, the README and package.json: no sources, tests or scripts', async () => {
  const listed = await run('tar', ['-tzf', tarball], { cwd: ROOT });
  assert.equal(listed.code, 0, listed.stderr);
  const files = listed.stdout.trim().split('\n').map((name) => name.replace(/^package\//, '')).sort();
  assert.deepEqual(files, ['README.md', `dist/${CACHE_FILE}`, `dist/${BUNDLE_FILE}`, `dist/${BIN_FILE}`, 'dist/logging.d.ts', 'dist/logging.js', 'package.json'].sort());
});

for (const node of [
  { name: `Node ${process.versions.node.split('.')[0]} (this one)`, install: async (): Promise<Installed> => ({ path: process.execPath }) },
  { name: 'Node 24', install: () => installTool(TOOLS.node24) },
]) {
  describe(`installed from the tarball into an empty project, on ${node.name}`, () => {
    let project = '';
    let nodeBin = '';
    let nodeVersion = '';
    let skip: string | undefined;
    /** Our environment, with this Node first on PATH: the bin's `#!/usr/bin/env node` finds it. */
    let env: NodeJS.ProcessEnv = {};

    before(async () => {
      const installed = await node.install();
      if (!('path' in installed)) {
        skip = installed.skip;
        return;
      }
      nodeBin = installed.path;
      nodeVersion = (await run(nodeBin, ['--version'], { cwd: ROOT })).stdout.trim();
      env = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` };
      project = fs.mkdtempSync(path.join(path.dirname(tarball), 'consumer-'));
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
      // --offline: the package has no dependencies, so nothing may need the network.
      const installedPackage = await run(nodeBin, [NPM_CLI, 'install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env });
      assert.equal(installedPackage.code, 0, `npm install: ${installedPackage.stderr}`);
    });

    test('npx automake --version runs the compiled command line with plain node', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const onPath = await run('node', ['--version'], { cwd: project, env });
      assert.equal(onPath.stdout.trim(), nodeVersion, 'the shebang finds this Node');
      const version = await run(nodeBin, [NPX_CLI, '--offline', 'automake', '--version'], { cwd: project, env });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `automake ${PKG.version}\n`);
    });

    test("the bin's code cache is taken by the Node that built it, and only by that Node", async (t) => {
      if (skip !== undefined) return t.skip(skip);
      // The bin, required rather than run, says whether V8 took the cache; it then runs `--version`.
      const bin = path.join(project, 'node_modules', PKG.name, 'dist', BIN_FILE);
      const probe = `process.argv = [process.argv[0], 'automake', '--version']; const bin = require(${JSON.stringify(bin)}); process.stderr.write(String(bin.codeCacheTaken));`;
      const probed = await run(nodeBin, ['-e', probe], { cwd: project, env });
      assert.equal(probed.code, 0, probed.stderr);
      assert.equal(probed.stdout, `automake ${PKG.version}\n`);
      // The cache is recorded by `npm pack`'s build, under the Node running these tests; another Node compiles the bundle anew.
      assert.equal(probed.stderr, String(nodeVersion === process.version));
      // A cache of another bundle (its first line names another SHA-256) is not used, and the bin still works.
      const cacheFile = path.join(path.dirname(bin), CACHE_FILE);
      const cache = fs.readFileSync(cacheFile);
      try {
        fs.writeFileSync(cacheFile, Buffer.concat([Buffer.from(cache.toString('latin1', 0, cache.indexOf(0x0a)).replace(/[0-9a-f]$/, (d) => (d === '0' ? '1' : '0'))), cache.subarray(cache.indexOf(0x0a))]));
        const stale = await run(nodeBin, ['-e', probe], { cwd: project, env });
        assert.equal(stale.code, 0, stale.stderr);
        assert.deepEqual([stale.stdout, stale.stderr], [`automake ${PKG.version}\n`, 'false']);
      } finally {
        fs.writeFileSync(cacheFile, cache);
      }
    });

    test('automake logs view -f from the installed package follows a session to its end', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      // Following loads node:timers/promises when it first waits: an import() the bundle must not leave to vm.Script.
      const logDir = tempDir(t, 'automake-package-logs-');
      fs.writeFileSync(path.join(project, 'ticks.mjs'), [
        "import { initLogging } from 'automake-logging';",
        'const session = initLogging({ dir: process.argv[2], env: {} });',
        "process.stdout.write('started\\n');",
        'for (let i = 0; i < 4; i++) {',
        '  await new Promise((resolve) => setTimeout(resolve, 300));',
        '  session.logger.info(`tick ${i}`);',
        '}',
        'await session.close();',
      ].join('\n'));
      const writer = startChild([nodeBin, 'ticks.mjs', logDir], { cwd: project, env, input: '', timeoutMs: TIMEOUT_MS });
      await writer.waitForStdout('started');
      const bin = path.join(project, 'node_modules', '.bin', 'automake');
      const followed = await run(bin, ['logs', 'view', '-f', '-n', '0', String(writer.child.pid)], { cwd: project, env: { ...env, AUTOMAKE_LOG_DIR: logDir, NO_COLOR: '1' } });
      assert.equal((await writer.done).code, 0);
      assert.equal(followed.code, 0, followed.stderr);
      assert.match(followed.stdout, / - INFO - tick 3\n.* - INFO - Session ended exitCode=0 /);
    });

    test('automake exec runs a command as a logged session from the installed package', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const logDir = tempDir(t, 'automake-package-logs-');
      const bin = path.join(project, 'node_modules', '.bin', 'automake');
      const result = await run(bin, ['exec', '--', 'echo', 'hello from the package'], { cwd: project, env: { ...env, AUTOMAKE_LOG_DIR: logDir } });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'hello from the package\n');
      const [log] = fs.readdirSync(logDir);
      assert.ok(log !== undefined, 'a session log');
      assert.match(fs.readFileSync(path.join(logDir, log), 'utf8'), / - INFO - hello from the package\n/);
    });

    test("import { initLogging } from 'automake-logging' works from an ES module, and dynamic import() from CommonJS", async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const logDir = tempDir(t, 'automake-package-logs-');
      const body = [
        'const session = initLogging({ dir: process.argv[2], env: {} });',
        "getLogger('automake.consumer').info('hello from the package', { node: process.version });",
        'await session.close();',
      ];
      fs.writeFileSync(path.join(project, 'app.mjs'), ["import { initLogging, getLogger } from 'automake-logging';", ...body].join('\n'));
      fs.writeFileSync(path.join(project, 'app.cjs'), [
        '(async () => {',
        "  const { initLogging, getLogger } = await import('automake-logging');",
        ...body.map((line) => `  ${line}`),
        '})();',
      ].join('\n'));
      for (const app of ['app.mjs', 'app.cjs']) {
        const dir = path.join(logDir, app);
        const result = await run(nodeBin, [app, dir], { cwd: project, env });
        assert.equal(result.code, 0, `${app}: ${result.stderr}`);
        const [log] = fs.readdirSync(dir);
        assert.ok(log !== undefined, `${app} wrote a session log`);
        // The record, then the session's end record (docs/design.md §9).
        const expected = new RegExp(` - automake\\.consumer - INFO - hello from the package node=${nodeVersion.replace(/\./g, '\\.')}\\n.* - automake - INFO - Session ended exitCode=0 .*\\n$`);
        assert.match(fs.readFileSync(path.join(dir, log), 'utf8'), expected, app);
      }
    });

    test("a TypeScript file importing the package's types type-checks, and a wrong option is an error", async (t) => {
      if (skip !== undefined) return t.skip(skip);
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: [] },
        files: ['typed.ts'],
      }));
      const typed = (options: string) => [
        "import { initLogging, type LogSession, type Logger, type LoggingOptions } from 'automake-logging';",
        `const options: LoggingOptions = ${options};`,
        'const session: LogSession = initLogging(options);',
        'const logger: Logger = session.logger.child("typed");',
        'logger.info("typed", { ok: true });',
        'export const file: string = session.filePath;',
      ].join('\n');
      fs.writeFileSync(path.join(project, 'typed.ts'), typed("{ dir: 'logs', retentionDays: 3 }"));
      const good = await run(nodeBin, [TSC, '-p', project], { cwd: project, env });
      assert.equal(good.code, 0, `tsc: ${good.stdout}${good.stderr}`);
      // The types are really read: an option the package does not have is refused.
      fs.writeFileSync(path.join(project, 'typed.ts'), typed("{ dir: 'logs', retention: 3 }"));
      const bad = await run(nodeBin, [TSC, '-p', project], { cwd: project, env });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stdout, /typed\.ts\(2,\d+\): error TS2353: .*'retention'/);
    });
  });
}
