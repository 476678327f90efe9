/**
 * The flushing guarantees of docs/design.md §4, proven the way they break: real
 * child processes that exit, throw, get signals or are killed, against real files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, inPool, runScenario, startNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { fileLines, jsonSequenceOf, sequenceOf, sequenceProblem } from './helpers/records.ts';

const EXIT_TRIALS = 20;
const EXIT_RECORDS = 50_000;

/** Runs a scenario that ends in process.exit(3) `trials` times; the problems found, one per failed trial. */
async function exitTrials(t: { after(fn: () => void): void }, scenario: string, trials: number, format: 'text' | 'json' = 'text', records = EXIT_RECORDS) {
  const failures = await inPool(trials, 2, async (trial) => {
    const dir = tempDir(t);
    const result = await runScenario([scenario, dir, String(records), 'rec'], { SCENARIO_FORMAT: format });
    if (result.code !== 3) return `trial ${trial}: exit code ${result.code} (signal ${result.signal}), expected 3: ${result.stderr}`;
    const file = onlyLogFile(dir);
    const problem = sequenceProblem(format === 'json' ? jsonSequenceOf(file, 'rec') : sequenceOf(file, 'rec'), records);
    return problem === undefined ? undefined : `trial ${trial}: ${problem}`;
  });
  return failures.filter(Boolean);
}

test('process.exit(n) right after 50,000 records: every record is in the file once, in order, and the exit code is n', async (t) => {
  assert.deepEqual(await exitTrials(t, 'exit', EXIT_TRIALS), [], `${EXIT_TRIALS} trials`);
});

test('process.exit(n) while a write is in flight on the thread pool: every record lands once, in order', async (t) => {
  assert.deepEqual(await exitTrials(t, 'exit-in-flight', EXIT_TRIALS), [], `${EXIT_TRIALS} trials`);
});

test('process.exit(n) while blocks of lines given as bytes are in flight: every record lands once, in order', async (t) => {
  // 200,000 records, 20 MB: the writer's batches are refilled several times over.
  assert.deepEqual(await exitTrials(t, 'lines-exit-in-flight', 10, 'text', 200_000), [], '10 trials');
});

test('process.exit(n) while close() is still draining: every record lands once, in order', async (t) => {
  assert.deepEqual(await exitTrials(t, 'exit-while-closing', 10), [], '10 trials');
});

test('process.exit(n) in the JSON format: every record lands once, in order', async (t) => {
  assert.deepEqual(await exitTrials(t, 'exit', 5, 'json'), [], '5 trials');
});

test('returning normally: every record lands and the exit code is 0', async (t) => {
  const dir = tempDir(t);
  const result = await runScenario(['return', dir, String(EXIT_RECORDS), 'rec']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(sequenceProblem(sequenceOf(onlyLogFile(dir), 'rec'), EXIT_RECORDS), undefined);
});

for (const [scenario, expected] of [
  ['uncaught', { message: 'kaboom from a timer', what: 'Uncaught exception' }],
  ['rejection', { message: 'nobody caught this promise', what: 'Unhandled rejection' }],
] as const) {
  test(`${expected.what}: earlier records, then a CRITICAL record with message and stack; Node still prints it and exits 1`, async (t) => {
    const dir = tempDir(t);
    const result = await runScenario([scenario, dir, String(EXIT_RECORDS), 'rec']);
    assert.equal(result.code, 1, `exit code; stderr: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(expected.message), 'Node printed the error as it would have');
    const file = onlyLogFile(dir);
    assert.equal(sequenceProblem(sequenceOf(file, 'rec'), EXIT_RECORDS), undefined);
    const lines = fileLines(file);
    const critical = lines.findIndex((line) => line.includes(' - CRITICAL - '));
    assert.ok(critical >= 0, 'a CRITICAL record');
    assert.ok(critical > lines.findLastIndex((line) => line.includes(` rec ${EXIT_RECORDS - 1} `)), 'after every earlier record');
    assert.match(lines[critical], new RegExp(`- automake - CRITICAL - ${expected.what}: ${expected.message}$`));
    assert.match(lines[critical + 1], new RegExp(`^    Error: ${expected.message}$`), 'the stack follows, indented');
    assert.match(lines[critical + 2], /^        at /);
  });
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const SIGNAL_TRIALS = 3;

/** Starts the busy-logging child, waits until it has logged a while, and sends `signal`. */
async function signalChild(scenario: string, dir: string, signal: NodeJS.Signals) {
  const running = startNode(fixture('scenario.ts'), [scenario, dir, '0', 'rec']);
  const ready = await running.firstLine;
  assert.match(ready, /"ready":true/, 'the child started logging');
  running.child.kill(signal);
  return running.done;
}

for (const signal of SIGNALS) {
  test(`${signal} with no handler of the application's: every record is flushed, then the process dies of ${signal}`, async (t) => {
    for (let trial = 0; trial < SIGNAL_TRIALS; trial++) {
      const dir = tempDir(t);
      const result = await signalChild('signal', dir, signal);
      assert.equal(result.signal, signal, `trial ${trial}: died of the signal (code ${result.code}; ${result.stderr})`);
      const file = onlyLogFile(dir);
      const numbers = sequenceOf(file, 'rec');
      assert.ok(numbers.length >= 5000, `trial ${trial}: ${numbers.length} records`);
      assert.equal(sequenceProblem(numbers, numbers.length), undefined, `trial ${trial}: no gap, duplicate or reordering`);
      // The signal record is logged and flushed after every record accepted
      // before the signal; nothing logged after it but the end record, nothing lost before it.
      const lines = fileLines(file);
      assert.match(lines.at(-2)!, new RegExp(` - automake - WARNING - Received ${signal}$`), `trial ${trial}: the line before the end record`);
      assert.match(lines.at(-1)!, new RegExp(` - automake - INFO - Session ended signal=${signal} `), `trial ${trial}: last line`);
    }
  });

  test(`${signal} with the application's own handler: records are flushed and the application decides`, async (t) => {
    for (let trial = 0; trial < SIGNAL_TRIALS; trial++) {
      const dir = tempDir(t);
      const result = await signalChild('signal-own-handler', dir, signal);
      assert.equal(result.code, 7, `trial ${trial}: the application's handler chose exit code 7 (signal ${result.signal})`);
      const logged = Number(/"logged":(\d+)/.exec(result.stdout)?.[1]);
      const file = onlyLogFile(dir);
      assert.equal(sequenceProblem(sequenceOf(file, 'rec'), logged), undefined, `trial ${trial}: all ${logged} records`);
      assert.ok(fileLines(file).some((line) => line.endsWith(`application handled ${signal}`)), `trial ${trial}: the handler ran`);
    }
  });
}

test('error() is in the kernel before it returns: the record logged right before SIGKILL is in the file', async (t) => {
  const failures = await inPool(10, 2, async (trial) => {
    const dir = tempDir(t);
    const result = await runScenario(['error-then-sigkill', dir, '20000', 'rec']);
    if (result.signal !== 'SIGKILL') return `trial ${trial}: not killed (${result.code})`;
    const file = onlyLogFile(dir);
    const problem = sequenceProblem(sequenceOf(file, 'rec'), 20_000);
    if (problem) return `trial ${trial}: ${problem}`;
    const last = fileLines(file).at(-1) ?? '';
    return last.endsWith(' - automake - ERROR - rec last words') ? undefined : `trial ${trial}: last line ${last}`;
  });
  assert.deepEqual(failures.filter(Boolean), []);
});
