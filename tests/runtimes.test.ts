/**
 * The lone lib/logging.ts on every Node people run and under the other TypeScript
 * runtimes (docs/design.md §11): Node 22, 24 and 26 by their own type stripping, Node 20
 * through tsx (it cannot strip types), Deno 2 and Bun 1 run the file unchanged, and
 * keep what tests/exit-safety.test.ts proves under the Node running the tests: every
 * record lands after process.exit(), an ERROR carries its stack and is on disk before
 * the call returns, and a SIGTERM flushes what is queued while the process still dies
 * of it.
 *
 * Each runtime runs a project holding nothing but copies of lib/logging.ts and of the
 * fault tests' scenario child.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test, type TestContext } from 'node:test';

import { fixture, ROOT, startChild, TSX, type ChildOptions, type RunningChild } from './helpers/child.ts';
import { deadPid, endLine, headerLine, onlyLogFile, tempDir } from './helpers/log-files.ts';
import { fileLines, sequenceOf, sequenceProblem } from './helpers/records.ts';
import { installTool, TOOL_CACHE, TOOLS, type Installed, type Tool } from './helpers/tools.ts';

const SCENARIO = fixture('scenario.ts');

/** Starts `argv` in `cwd` with `env` added to ours, stdin closed. */
function startProcess(argv: string[], options: { cwd: string; env: Record<string, string>; timeoutMs: number }): RunningChild {
  const childOptions: ChildOptions = { cwd: options.cwd, env: { ...process.env, ...options.env }, timeoutMs: options.timeoutMs, input: '' };
  return startChild(argv, childOptions);
}

const RECORDS = 20_000;
const EXIT_TRIALS = 3;
// Generous: a runtime's first start compiles and caches the file.
const RUN_TIMEOUT_MS = 60_000;

interface Runtime {
  name: string;
  tool: Tool;
  /** The major version the pinned package must report. */
  major: RegExp;
  /** The command that runs a .ts file which logs into `logDir`. */
  command(bin: string, logDir: string): string[];
  /** What this runtime is known not to do; the test of it then runs as a todo, saying so. */
  lacks?: { unhandledRejectionMonitor?: string };
}

const RUNTIMES: Runtime[] = [
  // tsx by absolute URL: the lone project has no node_modules.
  { name: 'Node 20 (through tsx)', tool: TOOLS.node20, major: /^v20\./, command: (bin) => [bin, '--import', TSX] },
  { name: 'Node 22 (type stripping)', tool: TOOLS.node22, major: /^v22\./, command: (bin) => [bin] },
  { name: 'Node 24 (type stripping)', tool: TOOLS.node24, major: /^v24\./, command: (bin) => [bin] },
  { name: 'Node 26 (type stripping)', tool: TOOLS.node26, major: /^v26\./, command: (bin) => [bin] },
  {
    name: 'Deno 2',
    tool: TOOLS.deno,
    major: /^deno 2\./,
    // What the library needs: the log directory, and the environment it is configured from
    // (the scenario child reads SCENARIO_FORMAT too). See the pruning test below for /proc.
    command: (bin, logDir) => [bin, 'run', '--allow-env', `--allow-read=${logDir}`, `--allow-write=${logDir}`],
  },
  {
    name: 'Bun 1',
    tool: TOOLS.bun,
    major: /^1\./,
    command: (bin) => [bin],
    lacks: {
      unhandledRejectionMonitor: 'Bun 1.4 emits no uncaughtExceptionMonitor event for an unhandled rejection: ' +
        'the records before it land, but not the CRITICAL record of the rejection itself',
    },
  },
];

/** Keeps the runtimes quiet and their caches out of the home directory. */
const RUNTIME_ENV = { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: path.join(TOOL_CACHE, 'deno-dir') };

/** A project with nothing but lib/logging.ts and the scenario child beside it. */
function loneProject(t: TestContext): { project: string; logDir: string; scenario: string } {
  const project = tempDir(t, 'automake-runtime-');
  fs.copyFileSync(path.join(ROOT, 'lib', 'logging.ts'), path.join(project, 'logging.ts'));
  const scenario = path.join(project, 'scenario.ts');
  const source = fs.readFileSync(SCENARIO, 'utf8');
  assert.ok(source.includes("from '../../lib/logging.ts'"), 'the scenario imports the library by that path');
  fs.writeFileSync(scenario, source.replace("from '../../lib/logging.ts'", "from './logging.ts'"));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'lone-logging', private: true, type: 'module' }));
  const logDir = path.join(project, 'logs');
  fs.mkdirSync(logDir);
  return { project, logDir, scenario };
}

for (const runtime of RUNTIMES) {
  describe(runtime.name, () => {
    let installed: Installed = { skip: 'not installed yet' };
    before(async () => {
      installed = await installTool(runtime.tool);
      if ('path' in installed) {
        const version = execFileSync(installed.path, ['--version'], { encoding: 'utf8', env: { ...process.env, ...RUNTIME_ENV } }).trim();
        assert.match(version, runtime.major, `${runtime.tool.spec} is the runtime this test names`);
      }
    });

    /** Runs the lone scenario child under this runtime; skips the test, saying why, where the runtime cannot be had. */
    function start(t: TestContext, args: string[]) {
      if (!('path' in installed)) {
        t.skip(installed.skip);
        return undefined;
      }
      const { project, logDir, scenario } = loneProject(t);
      const child = startProcess([...runtime.command(installed.path, logDir), scenario, args[0]!, logDir, ...args.slice(1)], {
        cwd: project, env: RUNTIME_ENV, timeoutMs: RUN_TIMEOUT_MS,
      });
      return { child, logDir };
    }

    test(`process.exit(3) right after ${RECORDS.toLocaleString('en')} records: every record is in the file once, in order`, async (t) => {
      for (let trial = 0; trial < EXIT_TRIALS; trial++) {
        const run = start(t, ['exit', String(RECORDS), 'rec']);
        if (run === undefined) return;
        const result = await run.child.done;
        assert.equal(result.code, 3, `trial ${trial}: exit code (signal ${result.signal}): ${result.stderr}`);
        assert.equal(sequenceProblem(sequenceOf(onlyLogFile(run.logDir), 'rec'), RECORDS), undefined, `trial ${trial}`);
      }
    });

    test('an ERROR with an Error carries its stack and is on disk before the call returns: a SIGKILL right after loses nothing', async (t) => {
      const run = start(t, ['error-with-stack-then-sigkill', '1000', 'rec']);
      if (run === undefined) return;
      const result = await run.child.done;
      assert.equal(result.signal, 'SIGKILL', `killed (code ${result.code}): ${result.stderr}`);
      const file = onlyLogFile(run.logDir);
      assert.equal(sequenceProblem(sequenceOf(file, 'rec'), 1000), undefined);
      const lines = fileLines(file);
      const error = lines.findIndex((line) => / - automake - ERROR - rec failed$/.test(line));
      assert.ok(error >= 0, `an ERROR record in:\n${lines.slice(-5).join('\n')}`);
      assert.match(lines[error + 1]!, /^ {4}Error: disk on fire$/, 'the stack follows, indented');
      assert.match(lines[error + 2]!, /^ {8}at .*scenario\.ts/, 'with a frame of the code that logged it');
    });

    test('SIGTERM with no handler of the application\'s: every queued record is flushed, then the process dies of SIGTERM', async (t) => {
      const run = start(t, ['signal', '0', 'rec']);
      if (run === undefined) return;
      assert.match(await run.child.firstLine, /"ready":true/, 'the child started logging');
      run.child.child.kill('SIGTERM');
      const result = await run.child.done;
      assert.equal(result.signal, 'SIGTERM', `died of the signal (code ${result.code}): ${result.stderr}`);
      const file = onlyLogFile(run.logDir);
      const numbers = sequenceOf(file, 'rec');
      assert.ok(numbers.length >= 5000, `${numbers.length} records`);
      assert.equal(sequenceProblem(numbers, numbers.length), undefined, 'no gap, duplicate or reordering');
      assert.match(fileLines(file).at(-2)!, / - automake - WARNING - Received SIGTERM$/, 'the signal record, then the end record, are last');
      assert.match(fileLines(file).at(-1)!, / - automake - INFO - Session ended signal=SIGTERM /, 'the end record is last');
    });

    for (const [scenario, what, message] of [
      ['uncaught', 'Uncaught exception', 'kaboom from a timer'],
      ['rejection', 'Unhandled rejection', 'nobody caught this promise'],
    ] as const) {
      const todo = scenario === 'rejection' ? runtime.lacks?.unhandledRejectionMonitor : undefined;
      test(`${what}: every earlier record, then a CRITICAL record with its stack; the process still exits 1`, { todo }, async (t) => {
        const run = start(t, [scenario, String(RECORDS), 'rec']);
        if (run === undefined) return;
        const result = await run.child.done;
        assert.equal(result.code, 1, `exit code: ${result.stderr}`);
        assert.match(result.stderr, new RegExp(message), 'the runtime reported the error as it would have');
        const file = onlyLogFile(run.logDir);
        assert.equal(sequenceProblem(sequenceOf(file, 'rec'), RECORDS), undefined);
        const lines = fileLines(file);
        const critical = lines.findIndex((line) => line.includes(' - CRITICAL - '));
        assert.ok(critical >= 0, 'a CRITICAL record');
        assert.match(lines[critical]!, new RegExp(`- automake - CRITICAL - ${what}: ${message}$`));
        assert.match(lines[critical + 1]!, new RegExp(`^ {4}Error: ${message}$`));
      });
    }
  });
}

describe('Deno 2 with no permission beyond the log directory', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  // Prunes the directory it is given as if a month had passed: every file there is past the retention period.
  const PRUNE_CHILD = [
    "import { pruneOldLogs } from './logging.ts';",
    `const report = pruneOldLogs(process.argv[2]!, { now: Date.now() + ${30 * DAY_MS} });`,
    'process.stdout.write(JSON.stringify(report) + "\\n");',
  ].join('\n');
  // Deno may neither read /proc nor signal a process (kill(pid, 0)) without more
  // permissions: the pruner cannot learn which sessions ended, and must keep them all.
  test('the pruner keeps an old log of a running session when it cannot ask which sessions run', async (t) => {
    const installed = await installTool(TOOLS.deno);
    if (!('path' in installed)) return t.skip(installed.skip);
    const { project, logDir } = loneProject(t);
    const running = path.join(logDir, `automake_2020-01-01_${process.pid}.log`);
    fs.writeFileSync(running, 'a running session\n');
    const child = path.join(project, 'prune.ts');
    fs.writeFileSync(child, PRUNE_CHILD);
    const deno = RUNTIMES.find((runtime) => runtime.tool === TOOLS.deno)!;
    const result = await startProcess([...deno.command(installed.path, logDir), child, logDir], { cwd: project, env: RUNTIME_ENV, timeoutMs: RUN_TIMEOUT_MS }).done;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(fs.existsSync(running), `the running session's log is kept: ${result.stdout}`);
  });

  // Deno lets a program read /proc only with --allow-all, so it cannot tell where a
  // session ran (docs/design.md §12); a log's own end record still says it ended.
  test('given --allow-run as well, the pruner deletes an ended session\'s old log (by its end record) and keeps a running one\'s', async (t) => {
    const installed = await installTool(TOOLS.deno);
    if (!('path' in installed)) return t.skip(installed.skip);
    const { project, logDir } = loneProject(t);
    const running = path.join(logDir, `automake_2020-01-01_${process.pid}.log`);
    const ended = path.join(logDir, `automake_2020-01-01_${deadPid()}.log`);
    fs.writeFileSync(running, headerLine(process.pid) + 'a session\n');
    fs.writeFileSync(ended, headerLine(deadPid()) + 'a session\n' + endLine());
    const child = path.join(project, 'prune.ts');
    fs.writeFileSync(child, PRUNE_CHILD);
    const argv = [installed.path, 'run', '--allow-env', `--allow-read=${logDir}`, `--allow-write=${logDir}`, '--allow-run', child, logDir];
    const result = await startProcess(argv, { cwd: project, env: RUNTIME_ENV, timeoutMs: RUN_TIMEOUT_MS }).done;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual({ running: fs.existsSync(running), ended: fs.existsSync(ended) }, { running: true, ended: false }, result.stdout);
  });
});
