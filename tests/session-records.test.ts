/**
 * Self-describing sessions (docs/design.md §9): the header record first, the end
 * record last, exactly once, however the process ends, at any level; none
 * after SIGKILL. Real child processes against real files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';

import { fixture, runNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { END_RECORD, fileLines, HEADER_RECORD, RECORD_START } from './helpers/records.ts';
import { splitTextFields } from '../lib/cli/record-parts.ts';

const ENDING = fixture('ending.ts');

/** Runs the fixture in `mode` and returns how it ended and its log's record starts. */
async function end(t: { after(fn: () => void): void }, mode: string, level = 'INFO', format = 'text') {
  const dir = tempDir(t);
  const result = await runNode(ENDING, [mode, dir, level, format]);
  const lines = fileLines(onlyLogFile(dir));
  const records = format === 'json' ? lines : lines.filter((line) => RECORD_START.test(line));
  return { result, records };
}

/** The key=value fields of a text record. */
function fieldsOf(record: string): Record<string, unknown> {
  return splitTextFields(record).fields;
}

const ENDINGS = [
  { mode: 'return', code: 0, end: { exitCode: 0 } },
  { mode: 'exit-3', code: 3, end: { exitCode: 3 } },
  { mode: 'exit-code-4', code: 4, end: { exitCode: 4 } },
  { mode: 'uncaught', code: 1, end: { exitCode: 1 } },
  { mode: 'rejection', code: 1, end: { exitCode: 1 } },
  { mode: 'close-5', code: 0, end: { exitCode: 5 } },
  { mode: 'exit-while-closing', code: 3, end: { exitCode: 5 } },
  ...(os.platform() === 'win32' ? [] : [
    ...['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'].map((signal) => ({ mode: `signal-${signal}`, code: null, signal, end: { signal } })),
    ...['SIGINT', 'SIGTERM'].map((signal) => ({ mode: `signal-${signal}-handled`, code: 7, end: { exitCode: 7 } })),
  ]),
] as const;

for (const ending of ENDINGS) {
  test(`${ending.mode}: the header is the first record and exactly one end record, the last, says ${JSON.stringify(ending.end)}`, async (t) => {
    const { result, records } = await end(t, ending.mode);
    assert.equal(result.code, ending.code, `exit code; stderr: ${result.stderr}`);
    if ('signal' in ending) assert.equal(result.signal, ending.signal, 'the process still dies of the signal');
    assert.match(records[0], HEADER_RECORD);
    assert.equal(records.filter((record) => END_RECORD.test(record)).length, 1, records.join('\n'));
    const last = records.at(-1)!;
    assert.match(last, END_RECORD);
    const fields = fieldsOf(last);
    for (const [key, value] of Object.entries(ending.end)) assert.equal(fields[key], value, `${key} in ${last}`);
    // signal instead of exitCode, never both.
    assert.equal('signal' in fields && 'exitCode' in fields, false, last);
    assert.equal(typeof fields.durationMs, 'number');
    assert.ok(!('dropped' in fields), 'dropped is written only when records were dropped');
  });
}

test('SIGKILL leaves no end record: the log ends with what was written before it', async (t) => {
  const { result, records } = await end(t, 'sigkill');
  assert.equal(result.signal, 'SIGKILL');
  assert.match(records[0], HEADER_RECORD);
  assert.equal(records.filter((record) => END_RECORD.test(record)).length, 0);
  assert.match(records.at(-1)!, / - WARNING - about to end$/);
});

test('the header names the process and where it runs: pid, ppid, argv, cwd, node, platform, host, boot, PID namespace, start, then the header option\'s fields', async (t) => {
  const { result, records } = await end(t, 'return');
  const fields = fieldsOf(records[0]);
  assert.deepEqual(Object.keys(fields), ['pid', 'ppid', 'argv', 'cwd', 'node', 'platform', 'host', 'bootId', 'pidNamespace', 'processStart', 'app', 'version']);
  assert.equal(fields.bootId, fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  assert.equal(fields.pidNamespace, fs.readlinkSync('/proc/self/ns/pid'), 'a child of this test, in its PID namespace');
  const started = Date.parse(String(fields.processStart));
  assert.ok(started <= Date.parse(records[0].slice(0, 10) + 'T' + records[0].slice(11, 23).replace(',', '.')) + 1000, 'the process started before its header');
  assert.ok(started >= Date.now() - 60_000, `started within the last minute: ${String(fields.processStart)}`);
  assert.equal(fields.ppid, process.pid, 'its parent is this test');
  assert.equal(typeof fields.pid, 'number');
  assert.match(String(fields.argv), /ending\.ts return /);
  assert.equal(fields.node, process.version);
  assert.equal(fields.platform, process.platform);
  assert.equal(fields.host, os.hostname());
  assert.equal(fields.app, 'ending-fixture');
  assert.equal(fields.version, '1.2.3');
  assert.equal(result.code, 0);
});

test('header and end records are written at any level, even ERROR, where the WARNING between them is not', async (t) => {
  const { records } = await end(t, 'exit-3', 'ERROR');
  assert.equal(records.length, 2, records.join('\n'));
  assert.match(records[0], HEADER_RECORD);
  assert.match(records[1], END_RECORD);
  assert.equal(fieldsOf(records[1]).exitCode, 3);
});

test('in the JSON format the header and end are pino records, the header without a second pid', async (t) => {
  const { records } = await end(t, 'exit-3', 'INFO', 'json');
  const header = JSON.parse(records[0]);
  const last = JSON.parse(records.at(-1)!);
  assert.equal(header.msg, 'Session started');
  assert.equal(header.level, 30);
  assert.equal(typeof header.pid, 'number');
  assert.ok(!('pid_' in header), 'the record\'s own pid says it');
  assert.equal(header.app, 'ending-fixture');
  assert.equal(last.msg, 'Session ended');
  assert.equal(last.exitCode, 3);
});
