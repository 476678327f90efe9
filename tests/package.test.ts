/**
 * A real package (docs/design.md §10 "Starts fast", §11 "A real package"): the tarball
 * `npm pack` makes installs into an empty project, with no network and no
 * install-script warning, on Node 20, 22, 24 and 26; there `npx automake` runs the
 * compiled command line with plain `node`, never through `node:vm`, with Node's
 * compile cache where Node has one; `import { initLogging } from 'automake-logging'`
 * works from JavaScript, and TypeScript finds the types. The README's first command
 * works on a fresh copy of the repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ROOT, startChild, type ChildResult } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { installTool, NPM_CLI, TOOLS, type Installed, type Tool } from './helpers/tools.ts';

const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string> };
const NPX_CLI = path.join(path.dirname(NPM_CLI), 'npx-cli.js');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TIMEOUT_MS = 120_000;
/** The lifecycle scripts npm runs when a package is installed (a `prepare` too, for a tarball or a git URL). */
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];
/** npm 11's warning about install scripts it did not run, on `npm install` and `npm ci`. */
const INSTALL_SCRIPT_WARNING = /install-scripts|install scripts/i;

function run(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ChildResult> {
  return startChild([file, ...args], { cwd: options.cwd, env: options.env ?? process.env, input: '', timeoutMs: TIMEOUT_MS }).done;
}

/** The files a fresh clone has: tracked ones and new ones not ignored, without node_modules (a symlink in some worktrees). */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return listed.split('\0').filter((file) => file !== '' && !/^(node_modules|dist)(\/|$)/.test(file) && fs.existsSync(path.join(ROOT, file)));
}

/**
 * A preload (`node --require`) that writes, at exit, the public Node modules the
 * process loaded and the compile cache directory it uses, if any, to PROBE_OUT.
 * `process.moduleLoadList` names every built-in module a process loaded, whether by
 * `require`, `import` or `import()`, as `NativeModule <name>`.
 */
const PROBE = `'use strict';
process.on('exit', () => {
  const { getCompileCacheDir } = require('node:module');
  const modules = process.moduleLoadList.filter((name) => /^NativeModule [^/]+$/.test(name)).map((name) => name.slice('NativeModule '.length));
  const compileCache = typeof getCompileCacheDir === 'function' ? getCompileCacheDir() ?? null : null;
  require('node:fs').writeFileSync(process.env.PROBE_OUT, JSON.stringify({ modules, compileCache }));
});
`;

interface Probed {
  result: ChildResult;
  /** The public built-in modules the process loaded: `fs`, `child_process`, … (never `vm`, for the bin). */
  modules: string[];
  compileCache: string | null;
}

let tarball = '';
let packedFiles: string[] = [];

before(async () => {
  // Outside the repository: the consumer projects in it must find no node_modules above them.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'automake-package-'));
  // npm pack runs `prepack` (npm run build), so the tarball is built from the sources as they are now.
  const packed = await run(process.execPath, [NPM_CLI, 'pack', '--json', '--pack-destination', dir], { cwd: ROOT });
  assert.equal(packed.code, 0, `npm pack: ${packed.stderr}`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  assert.ok(info !== undefined);
  tarball = path.join(dir, info.filename);
  packedFiles = info.files.map((file) => file.path).sort();
});

after(() => fs.rmSync(path.dirname(tarball), { recursive: true, force: true }));

test('the tarball holds the compiled lib/ (one .js per source), the types, README, LICENSE and package.json: no sources, tests or scripts', () => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const file = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts')) sources.push(file);
    }
  };
  walk('lib');
  const compiled = sources.map((file) => file.replace(/^lib\//, 'dist/').replace(/\.ts$/, '.js'));
  assert.deepEqual(packedFiles, ['LICENSE', 'README.md', 'dist/logging.d.ts', 'package.json', ...compiled].sort());
  assert.ok(packedFiles.includes(PKG.bin.automake), `the bin ${PKG.bin.automake} is packed`);
});

test('the packed package.json has no script that runs on install, and the bin is plain JavaScript that uses no node:vm', async (t) => {
  const dir = tempDir(t, 'automake-package-unpacked-');
  const unpacked = await run('tar', ['-xzf', tarball, '-C', dir], { cwd: dir });
  assert.equal(unpacked.code, 0, unpacked.stderr);
  const packedJson = JSON.parse(fs.readFileSync(path.join(dir, 'package', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  assert.deepEqual(INSTALL_SCRIPTS.filter((name) => packedJson.scripts?.[name] !== undefined), []);
  const bin = fs.readFileSync(path.join(dir, 'package', PKG.bin.automake), 'utf8');
  assert.match(bin, /^#!\/usr\/bin\/env node\n/);
  assert.match(bin, /enableCompileCache/, "the bin turns on Node's compile cache");
  for (const file of packedFiles.filter((name) => name.endsWith('.js'))) {
    const text = fs.readFileSync(path.join(dir, 'package', file), 'utf8');
    assert.doesNotMatch(text, /['"](node:)?vm['"]|\bvm\.Script\b|\bcachedData\b/, `${file} uses no vm and no code cache of its own`);
  }
});

test("the README's first command works on a fresh copy of the repository: npm ci without an install-script warning, then the bin", async (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /^```sh\n([^]*?)\n```/m.exec(readme);
  assert.ok(block?.[1] !== undefined, 'the README opens with a sh block');
  const command = block[1].split('\n')[0]!.replace(/\s+#.*$/, '');
  assert.match(command, /^npm ci && .*npx automake exec -- echo hello$/, 'the first command installs, then runs the bin');
  const clone = tempDir(t, 'automake-clone-');
  for (const file of repositoryFiles()) {
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(clone, file));
  }
  // From npm's cache where it can: the packages are those this repository installed already.
  const result = await run('sh', ['-c', command], { cwd: clone, env: { ...process.env, npm_config_prefer_offline: 'true', AUTOMAKE_LOG_DIR: path.join(clone, 'logs') } });
  assert.equal(result.code, 0, `${command}: ${result.stderr}`);
  assert.match(result.stdout, /^hello$/m);
  assert.doesNotMatch(result.stderr, INSTALL_SCRIPT_WARNING);
  assert.doesNotMatch(result.stderr, /npm warn/i);
});

const NODES: { name: string; tool: Tool; major: number }[] = [
  { name: 'Node 20', tool: TOOLS.node20, major: 20 },
  { name: 'Node 22', tool: TOOLS.node22, major: 22 },
  { name: 'Node 24', tool: TOOLS.node24, major: 24 },
  { name: 'Node 26', tool: TOOLS.node26, major: 26 },
];

for (const node of NODES) {
  describe(`installed from the tarball into an empty project, on ${node.name}`, () => {
    let project = '';
    let nodeBin = '';
    let nodeVersion = '';
    let skip: string | undefined;
    /** Our environment, with this Node first on PATH: the bin's `#!/usr/bin/env node` finds it. */
    let env: NodeJS.ProcessEnv = {};
    let bin = '';

    before(async () => {
      const installed: Installed = await installTool(node.tool);
      if (!('path' in installed)) {
        skip = installed.skip;
        return;
      }
      nodeBin = installed.path;
      nodeVersion = (await run(nodeBin, ['--version'], { cwd: ROOT })).stdout.trim();
      assert.match(nodeVersion, new RegExp(`^v${node.major}\\.`), `${node.tool.spec} is the Node this test names`);
      env = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH ?? ''}` };
      project = fs.mkdtempSync(path.join(path.dirname(tarball), 'consumer-'));
      bin = path.join(project, 'node_modules', '.bin', 'automake');
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
      // --offline: the package has no dependencies, so nothing may need the network.
      const installedPackage = await run(nodeBin, [NPM_CLI, 'install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env });
      assert.equal(installedPackage.code, 0, `npm install: ${installedPackage.stderr}`);
      assert.doesNotMatch(installedPackage.stderr, INSTALL_SCRIPT_WARNING, 'npm install says nothing of install scripts');
    });

    /** Runs the installed bin with `args`, preloading PROBE; the process's temp dir (and so the compile cache) is `tmp`. */
    async function probe(args: string[], tmp: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Probed> {
      const probeFile = path.join(project, 'probe.cjs');
      fs.writeFileSync(probeFile, PROBE);
      const out = path.join(tmp, `probe-${Date.now()}-${Math.random()}.json`);
      const result = await run(bin, args, { cwd: project, env: { ...env, ...extraEnv, TMPDIR: tmp, PROBE_OUT: out, NODE_OPTIONS: `--require ${probeFile}`, AUTOMAKE_LOG_DIR: path.join(tmp, 'logs') } });
      const probed = JSON.parse(fs.readFileSync(out, 'utf8')) as { modules: string[]; compileCache: string | null };
      return { result, ...probed };
    }

    test('npx automake --version runs the compiled command line with plain node', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const onPath = await run('node', ['--version'], { cwd: project, env });
      assert.equal(onPath.stdout.trim(), nodeVersion, 'the shebang finds this Node');
      const version = await run(nodeBin, [NPX_CLI, '--offline', 'automake', '--version'], { cwd: project, env });
      assert.equal(version.code, 0, version.stderr);
      assert.equal(version.stdout, `automake ${PKG.version}\n`);
    });

    test('the bin never loads node:vm, and a process that does is seen to', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const tmp = tempDir(t, 'automake-package-probe-');
      for (const args of [['logs', 'show'], ['exec', '--', 'echo', 'probed'], ['logs', 'view', '-n', '1']]) {
        const probed = await probe(args, tmp);
        assert.equal(probed.result.code, 0, `${args.join(' ')}: ${probed.result.stderr}`);
        assert.ok(probed.modules.includes('fs'), `the probe saw ${args.join(' ')} load modules: ${probed.modules.join(' ')}`);
        assert.ok(!probed.modules.includes('vm'), `${args.join(' ')} loaded node:vm`);
        if (args[0] === 'exec') assert.ok(probed.modules.includes('child_process'), 'exec, which runs a command, is seen loading node:child_process');
      }
      // The same probe on a process that loads node:vm reports it.
      const out = path.join(tmp, 'control.json');
      const control = await run(nodeBin, ['--require', path.join(project, 'probe.cjs'), '-e', "require('node:vm')"], { cwd: project, env: { ...env, PROBE_OUT: out } });
      assert.equal(control.code, 0, control.stderr);
      assert.ok((JSON.parse(fs.readFileSync(out, 'utf8')) as { modules: string[] }).modules.includes('vm'));
    });

    test(node.major >= 22 ? "the bin turns on Node's compile cache, and a second start takes the command line's code from it" : 'the bin runs without a compile cache, which this Node lacks', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const tmp = tempDir(t, 'automake-package-cache-');
      const debug = { NODE_DEBUG_NATIVE: 'COMPILE_CACHE' };
      const first = await probe(['--version'], tmp, debug);
      const second = await probe(['--version'], tmp, debug);
      for (const probed of [first, second]) {
        assert.equal(probed.result.code, 0, probed.result.stderr);
        assert.equal(probed.result.stdout, `automake ${PKG.version}\n`);
      }
      if (node.major < 22) {
        assert.equal(second.compileCache, null);
        return;
      }
      assert.equal(second.compileCache?.startsWith(path.join(tmp, 'node-compile-cache')), true, `the cache is in the temp dir: ${second.compileCache}`);
      assert.match(second.result.stderr, /cache for (ESM )?file:\S*\/dist\/main\.js was accepted/, 'the second start used the cache of dist/main.js');
    });

    test('automake logs view -f from the installed package follows a session to its end', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      // Following loads node:timers/promises when it first waits, by import().
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
      t.after(() => writer.child.kill('SIGKILL'));
      await writer.waitForStdout('started');
      const followed = await run(bin, ['logs', 'view', '-f', '-n', '0', String(writer.pid)], { cwd: project, env: { ...env, AUTOMAKE_LOG_DIR: logDir, NO_COLOR: '1' } });
      assert.equal((await writer.done).code, 0);
      assert.equal(followed.code, 0, followed.stderr);
      assert.match(followed.stdout, / - INFO - tick 3\n.* - INFO - Session ended exitCode=0 /);
    });

    test('automake exec runs a command as a logged session from the installed package', async (t) => {
      if (skip !== undefined) return t.skip(skip);
      const logDir = tempDir(t, 'automake-package-logs-');
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
