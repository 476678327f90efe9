/**
 * The record reader under `logs view` and `logs show` (lib/cli/read-records.ts,
 * lib/cli/record-parts.ts):
 * records with their continuation lines, read backwards and forwards in
 * chunks that cut lines anywhere, and what a record says, parsed back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { completeEnd, lastRecords, RecordReader, type LogRecord } from '../lib/cli/read-records.ts';
import { pinoObject, splitTextFields } from '../lib/cli/record-parts.ts';
import { splitShellWords } from '../lib/cli/summary.ts';
import { escapeControlChars, shellQuote } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';

/** `YYYY-MM-DD HH:MM:SS,mmm` in local time, as the text format writes it. */
function stamp(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** A deterministic pseudo-random source, so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** A log of `count` records, some with continuation lines, some longer than a read; and the records, as written. */
function randomLog(next: () => number, count: number): { text: string; records: string[] } {
  const records: string[] = [];
  let time = Date.UTC(2026, 10, 24, 22, 0, 0);
  for (let i = 0; i < count; i++) {
    time += Math.floor(next() * 3);
    const long = next() < 0.05 ? 70_000 : 100;
    let record = `${stamp(time)} - automake.agent - INFO - record ${i} ${'x'.repeat(Math.floor(next() * long))} n=${i}`;
    const continuation = next() < 0.3 ? Math.floor(next() * 5) : 0;
    for (let c = 0; c < continuation; c++) record += `\n    line ${c} ${'y'.repeat(Math.floor(next() * 300))}`;
    records.push(record);
  }
  return { text: records.map((record) => record + '\n').join(''), records };
}

function readForward(fd: number, size: number, next: () => number): string[] {
  const reader = new RecordReader(0);
  const texts: string[] = [];
  while (reader.position < size) {
    const before = reader.position;
    texts.push(...reader.read(fd, size, 1 + Math.floor(next() * 9000)).map((record) => record.text));
    if (reader.position === before) break;
  }
  return texts;
}

test('read backwards or forwards in chunks that cut lines anywhere, a log gives back exactly the records written', (t) => {
  const dir = tempDir(t);
  const next = random(7);
  for (let trial = 0; trial < 25; trial++) {
    const { text, records } = randomLog(next, Math.floor(next() * 300));
    // A record still being written: no newline yet.
    const unfinished = next() < 0.5 ? `${stamp(Date.now())} - automake - INFO - half writ` : '';
    const file = path.join(dir, `trial-${trial}.log`);
    fs.writeFileSync(file, text + unfinished);
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const end = completeEnd(fd, size);
      assert.equal(end, Buffer.byteLength(text), `trial ${trial}: the unfinished line is left for later`);
      for (const count of [1, 3, 50, records.length + 1]) {
        const got = lastRecords(fd, end, count).map((record) => record.text);
        assert.ok(sameList(got, records.slice(-count)), `trial ${trial}: the last ${count} records, read backwards`);
      }
      assert.ok(sameList(readForward(fd, end, next), records), `trial ${trial}: every record, read forwards`);
      // From an offset anywhere (a record's start, inside a record, a line's start): only the records that begin there or later.
      const offsets = records.map((_, i) => Buffer.byteLength(records.slice(0, i).map((record) => record + '\n').join('')));
      for (const start of [Math.floor(next() * end), offsets[Math.floor(next() * offsets.length)] ?? 0, Math.max(0, end - 100)]) {
        const from = records.filter((_, i) => offsets[i] >= start);
        const got = lastRecords(fd, end, records.length + 1, { start }).map((record) => record.text);
        assert.ok(sameList(got, from), `trial ${trial}: the records from offset ${start}`);
      }
    } finally {
      fs.closeSync(fd);
    }
  }
});

/** Compares without printing megabytes of records on failure. */
function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

test('a record is known complete when the next one starts, even before that line ends', (t) => {
  const file = path.join(tempDir(t), 'growing.log');
  const first = `${stamp(Date.now())} - automake - ERROR - failed\n    Error: boom\n        at main (/app.ts:1:1)\n`;
  fs.writeFileSync(file, first + '2026-11-24 22:00:00,0');
  const fd = fs.openSync(file, 'r');
  t.after(() => fs.closeSync(fd));
  const reader = new RecordReader(0);
  const records = reader.read(fd, fs.fstatSync(fd).size);
  assert.deepEqual(records.map((record) => record.text), [first.slice(0, -1)]);
  assert.equal(reader.read(fd, fs.fstatSync(fd).size).length, 0, 'the unfinished record waits for its newline');
});

test('text fields are read back as the writer wrote them: bare, quoted, numbers, booleans, objects', () => {
  assert.deepEqual(
    splitTextFields('hello world user="bob smith" n=3 ok=true obj="{\\"a\\":1}" empty=""'),
    { text: 'hello world', fields: { user: 'bob smith', n: 3, ok: true, obj: { a: 1 }, empty: '' } },
  );
  assert.deepEqual(splitTextFields('He said "hi'), { text: 'He said "hi', fields: {} }, 'an unbalanced quote is message, not field');
  assert.deepEqual(splitTextFields('Running: ./build.sh cwd=/home/ada'), { text: 'Running: ./build.sh', fields: { cwd: '/home/ada' } });
});

function textRecord(text: string): LogRecord {
  return { time: Date.UTC(2026, 10, 24), level: 40, text, offset: 0, json: false };
}

test('a text record becomes a pino-shaped object: level, time, pid, name, msg, fields, and an error with its stack', () => {
  const record = textRecord('2026-11-24 22:38:01,647 - automake - ERROR - failed\n    Error: boom\n        at build (/app.ts:7:21)');
  assert.deepEqual(pinoObject(record, 42), {
    level: 50, time: record.time, pid: 42, name: 'automake', msg: 'failed',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at build (/app.ts:7:21)' },
  });
  const multiLine = textRecord('2026-11-24 22:38:01,647 - automake.exec - ERROR - line one\n    line two n=3 level=5');
  assert.deepEqual(pinoObject(multiLine, 42), { level: 50, time: record.time, pid: 42, name: 'automake.exec', msg: 'line one\nline two', n: 3, level_: 5 });
});

test('command lines read back word for word from the shell quoting of the header', () => {
  const words = ['/usr/bin/node', '/app/main.ts', 'exec', '--', 'sh', '-c', "echo it's done", '', 'a"b\\c'];
  assert.deepEqual(splitShellWords(shellQuote(words)), words);
});

test('control characters from a file are escaped, newline and tab kept; JSON stays JSON', () => {
  assert.equal(escapeControlChars('a\x1b[31mb\r\tc\u009b\nd\x00'), 'a\\x1b[31mb\\r\tc\\x9b\nd\\x00');
  const json = escapeControlChars(JSON.stringify({ msg: 'x\u009b\x7fy' }), true);
  assert.equal(JSON.parse(json).msg, 'x\u009b\x7fy');
  assert.doesNotMatch(json, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
});
