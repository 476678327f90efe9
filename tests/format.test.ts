/**
 * Record format (docs/design.md §2, JSON in §2 and §1): Python's text line, slog-style
 * extra fields, no forged records or terminal control in the file, and
 * pino-compatible JSON lines. No message or extra value ever throws.
 *
 * The process runs in a time zone that is not UTC, so a timestamp written in
 * UTC instead of local time is caught. Tests share the module's single session:
 * each one closes its own.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test, type TestContext } from 'node:test';

import { initLogging, type LoggingOptions, type LogSession } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, DATE, TEXT_RECORD, TIMESTAMP_START } from './helpers/records.ts';

// UTC+5:45: a UTC or whole-hour mistake shows in both the hours and the minutes.
process.env.TZ = 'Asia/Kathmandu';

/** Opens a session in a fresh directory, runs `fn`, closes it, and returns the file's bytes. */
async function logTo(t: TestContext, options: LoggingOptions, fn: (session: LogSession) => void): Promise<Buffer> {
  const session = initLogging({ dir: tempDir(t), env: {}, ...options });
  try {
    fn(session);
  } finally {
    await session.close();
  }
  return fs.readFileSync(session.filePath);
}

/** The lines the test logged: the session's header and end records left out. */
function lines(bytes: Buffer): string[] {
  const all = bytes.toString('utf8').split('\n');
  assert.equal(all.pop(), '', 'the file ends with a newline');
  return bodyLines(all);
}

/** Asserts no byte that could drive a terminal is in the file: C0 controls but tab and newline, DEL, C1 (raw or UTF-8). */
function assertNoControlBytes(bytes: Buffer): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const isC0 = b < 0x20 && b !== 0x09 && b !== 0x0a;
    assert.ok(!isC0 && b !== 0x7f, `raw control byte 0x${b.toString(16)} at offset ${i}`);
  }
  // These files hold only ASCII besides what the tests put in, so any 0x80-0x9f byte is a C1 control (raw or the tail of its UTF-8 form).
  const text = bytes.toString('utf8');
  assert.ok(!/[\x7f-\x9f]/.test(text), 'no C1 control character in the decoded text');
}

test('a text record is exactly "YYYY-MM-DD HH:MM:SS,mmm - <name> - <LEVEL> - <message>" in local time', async (t) => {
  let before = 0;
  let after = 0;
  const bytes = await logTo(t, {}, (s) => {
    before = Date.now();
    s.logger.info('hello world');
    after = Date.now();
  });
  const [line, ...rest] = lines(bytes);
  assert.deepEqual(rest, []);
  const match = TEXT_RECORD.exec(line);
  assert.ok(match, line);
  const [, y, mo, d, h, mi, sec, ms, name, level, message] = match;
  assert.equal(name, 'automake');
  assert.equal(level, 'INFO');
  assert.equal(message, 'hello world');
  assert.equal(line, `${y}-${mo}-${d} ${h}:${mi}:${sec},${ms} - automake - INFO - hello world`);
  // Read back as local time, the timestamp is the moment of the call.
  const written = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), Number(ms)).getTime();
  assert.ok(written >= before && written <= after, `${written} within [${before}, ${after}]`);
});

test('each level writes its name in the record', async (t) => {
  const bytes = await logTo(t, { level: 'debug' }, (s) => {
    s.logger.debug('m');
    s.logger.info('m');
    s.logger.warning('m');
    s.logger.warn('m');
    s.logger.error('m');
    s.logger.critical('m');
  });
  assert.deepEqual(lines(bytes).map((line) => TEXT_RECORD.exec(line)?.[9]), ['DEBUG', 'INFO', 'WARNING', 'WARNING', 'ERROR', 'CRITICAL']);
});

test('extra fields follow the message as key=value, unquoted when they read back as one token', async (t) => {
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info('fields', { a: 1, b: 'plain', path: '/tmp/x.log', url: 'http://h:8/p?q', ok: true, none: null, neg: -2.5 });
  });
  assert.match(lines(bytes)[0], / - INFO - fields a=1 b=plain path=\/tmp\/x\.log url=http:\/\/h:8\/p\?q ok=true none=null neg=-2\.5$/);
});

test('an extra value holding a space, "=", a quote or a control character is quoted as a JSON string', async (t) => {
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info('quoted', { space: 'two words', eq: 'a=b', quote: 'say "hi"', tab: 'a\tb', nl: 'a\nb', esc: '\x1b[31m', empty: '' });
  });
  const [line, ...rest] = lines(bytes);
  assert.deepEqual(rest, [], 'a newline in a value does not start a line');
  const expected = ' space="two words" eq="a=b" quote="say \\"hi\\"" tab="a\\tb" nl="a\\nb" esc="\\u001b[31m" empty=""';
  assert.ok(line.endsWith(' - INFO - quoted' + expected), line);
  assertNoControlBytes(bytes);
});

test('an extra key that would not read back as one token is quoted too', async (t) => {
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info('keys', { 'two words': 1, 'a=b': 2, 'line\nbreak': 3 });
  });
  const [line, ...rest] = lines(bytes);
  assert.deepEqual(rest, []);
  assert.ok(line.endsWith(' - INFO - keys "two words"=1 "a=b"=2 "line\\nbreak"=3'), line);
});

test('an Error as extra adds its stack on the following indented lines, and its cause', async (t) => {
  const inner = new Error('inner reason');
  const outer = new Error('outer failure', { cause: inner });
  const bytes = await logTo(t, {}, (s) => {
    s.logger.error('it broke', outer);
  });
  const all = lines(bytes);
  assert.match(all[0], / - automake - ERROR - it broke$/);
  const following = all.slice(1);
  assert.ok(following.length >= 2, all.join('\n'));
  for (const line of following) assert.match(line, /^\s+\S/, 'every following line is indented');
  assert.equal(all.filter((line) => TIMESTAMP_START.test(line)).length, 1);
  const body = following.join('\n');
  assert.ok(body.includes('Error: outer failure'), body);
  // The first frame of the stack (this file) is there, not just the message.
  assert.ok(body.includes('format.test.ts'), body);
  assert.ok(body.includes('inner reason'), body);
  assert.ok(body.indexOf('inner reason') > body.indexOf('outer failure'), 'the cause follows the error');
});

test('an Error whose message forges a record still gives one record start', async (t) => {
  const error = new Error('bad\n2026-01-01 00:00:00,000 - automake - ERROR - forged\x1b[2J');
  const bytes = await logTo(t, {}, (s) => s.logger.error('with a forged stack', error));
  assert.equal(lines(bytes).filter((line) => TIMESTAMP_START.test(line)).length, 1);
  assertNoControlBytes(bytes);
});

test('a multi-line message indents every continuation line: one record start per record', async (t) => {
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info('first line\nsecond line\n\nfourth line');
    s.logger.warning('next record');
  });
  const all = lines(bytes);
  assert.equal(all.filter((line) => TIMESTAMP_START.test(line)).length, 2);
  assert.match(all[0], / - INFO - first line$/);
  const continuation = all.slice(1, all.findIndex((line, i) => i > 0 && TIMESTAMP_START.test(line)));
  assert.equal(continuation.length, 3);
  for (const line of continuation) assert.match(line, /^\s/, JSON.stringify(line));
  assert.ok(continuation[0].includes('second line') && continuation[2].includes('fourth line'));
  assert.match(all.at(-1)!, / - WARNING - next record$/);
});

test('a message cannot forge a record nor carry terminal control bytes into the file', async (t) => {
  const forged = 'innocent\n2026-01-01 00:00:00,000 - automake - ERROR - forged';
  const controls = 'red \x1b[31mALERT\x1b[0m cr\rover bs\b nul\x00 csi\x9b2J del\x7f end';
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info(forged);
    s.logger.info(controls);
    s.logger.info('crlf\r\n2026-01-01 00:00:00,000 - automake - ERROR - forged again');
  });
  const all = lines(bytes);
  assert.equal(all.filter((line) => TIMESTAMP_START.test(line)).length, 3, all.join('\n'));
  for (const line of all) assert.ok(!new RegExp(`^${DATE} .* - ERROR - `).test(line), `forged record: ${JSON.stringify(line)}`);
  assert.equal(bytes.indexOf(0x1b), -1, 'no ESC');
  assert.equal(bytes.indexOf(0x0d), -1, 'no CR');
  assert.equal(bytes.indexOf(0x08), -1, 'no BS');
  assert.equal(bytes.indexOf(0x00), -1, 'no NUL');
  assert.equal(bytes.indexOf(0x9b), -1, 'no 0x9b byte (raw, or as the tail of UTF-8 C2 9B)');
  assertNoControlBytes(bytes);
  // The text around the escaped characters is kept, so the record still reads.
  const text = bytes.toString('utf8');
  for (const word of ['innocent', 'forged', 'ALERT', 'cr', 'over', 'nul', 'csi', 'end']) assert.ok(text.includes(word), word);
});

test('messages with newlines among thousands of others are indented wherever they fall in a chunk, logged at any level', async (t) => {
  // Their newlines are found by counting each chunk's newlines (docs/design.md §2):
  // one forged record a chunk, at its start, its end, in a chunk written
  // synchronously (ERROR), and beside records with an Error, whose newlines are their own.
  const forged = (n: number) => `message ${n}\n2026-01-01 00:00:00,000 - automake - CRITICAL - forged ${n}`;
  const expected: string[] = [];
  const bytes = await logTo(t, {}, (s) => {
    for (let i = 0; i < 5000; i++) {
      if (i % 997 === 0 || i === 4999) {
        (i % 2 === 0 ? s.logger.info : s.logger.error).call(s.logger, forged(i));
        expected.push(`message ${i}`, `    2026-01-01 00:00:00,000 - automake - CRITICAL - forged ${i}`);
      } else if (i % 100 === 0) {
        const error = new Error(`failed ${i}`);
        error.stack = `Error: failed ${i}\n    at one\n    at two`;
        s.logger.warning(`with an error ${i}`, error);
        expected.push(`with an error ${i}`, `    Error: failed ${i}`, '        at one', '        at two');
      } else {
        s.logger.info(`plain ${i}`);
        expected.push(`plain ${i}`);
      }
    }
    // Chunks of two records each (an ERROR is written at once): one with an Error, one forged.
    for (let i = 0; i < 3; i++) {
      const error = new Error(`alone ${i}`);
      error.stack = `Error: alone ${i}\n    at one`;
      s.logger.warning(`paired ${i}`, error);
      s.logger.error(forged(i));
      expected.push(`paired ${i}`, `    Error: alone ${i}`, '        at one', `message ${i}`, `    2026-01-01 00:00:00,000 - automake - CRITICAL - forged ${i}`);
    }
    // With fields, which follow the message's last line.
    s.logger.info(forged(7), { step: 7, note: 'two\nlines' });
    expected.push('message 7', '    2026-01-01 00:00:00,000 - automake - CRITICAL - forged 7 step=7 note="two\\nlines"');
  });
  const all = lines(bytes);
  assert.ok(!all.some((line) => / - CRITICAL - /.test(line) && TIMESTAMP_START.test(line)), 'no forged record');
  assert.deepEqual(all.map((line) => line.replace(/^\S+ \S+ - automake - \w+ - /, '')), expected);
});

test('tabs in a message are kept as they are', async (t) => {
  const bytes = await logTo(t, {}, (s) => s.logger.info('a\tb'));
  assert.match(lines(bytes)[0], / - INFO - a\tb$/);
});

test('circular extra objects and BigInt values do not throw, in text', async (t) => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info('circular', { circular });
    s.logger.info('bigint', { n: 12345678901234567890n, nested: { m: 1n } });
  });
  const all = lines(bytes);
  assert.equal(all.length, 2);
  assert.match(all[0], / - INFO - circular circular=/);
  assert.match(all[1], / - INFO - bigint n=12345678901234567890 nested=/);
});

test('a message that is not a string never throws', async (t) => {
  const throwing = { toString(): string { throw new Error('toString boom'); } };
  const getter = { get bad(): string { throw new Error('getter boom'); } };
  const bytes = await logTo(t, {}, (s) => {
    s.logger.info(42 as unknown as string);
    s.logger.info(throwing as unknown as string);
    s.logger.info(undefined as unknown as string);
    s.logger.info(Symbol('sym') as unknown as string);
    s.logger.info('getter extra', getter);
    s.logger.info('after');
  });
  const all = lines(bytes);
  assert.equal(all.filter((line) => TIMESTAMP_START.test(line)).length, 6, all.join('\n'));
  assert.match(all[0], / - INFO - 42$/);
  assert.match(all.at(-1)!, / - INFO - after$/);
});

// --- JSON ------------------------------------------------------------------

interface JsonRecord {
  level: number;
  time: number;
  pid: number;
  name: string;
  msg: string;
  [field: string]: unknown;
}

function jsonRecords(bytes: Buffer): JsonRecord[] {
  return lines(bytes).map((line) => JSON.parse(line) as JsonRecord);
}

test('JSON records: one object per line with pino levels, epoch-ms time, pid, name and msg', async (t) => {
  let before = 0;
  let after = 0;
  const bytes = await logTo(t, { format: 'json', level: 'debug' }, (s) => {
    before = Date.now();
    s.logger.debug('d');
    s.logger.info('i');
    s.logger.warning('w');
    s.logger.error('e');
    s.logger.critical('c');
    s.logger.child('agent').info('from child');
    after = Date.now();
  });
  const records = jsonRecords(bytes);
  assert.deepEqual(records.map((r) => [r.level, r.msg]), [[20, 'd'], [30, 'i'], [40, 'w'], [50, 'e'], [60, 'c'], [30, 'from child']]);
  for (const record of records) {
    assert.equal(typeof record.time, 'number');
    assert.ok(record.time >= before && record.time <= after, `${record.time} within [${before}, ${after}]`);
    assert.equal(record.pid, process.pid);
  }
  assert.deepEqual(records.map((r) => r.name), ['automake', 'automake', 'automake', 'automake', 'automake', 'automake.agent']);
});

test('JSON records merge extra fields into the object', async (t) => {
  const bytes = await logTo(t, { format: 'json' }, (s) => {
    s.logger.info('with fields', { task: 'build', count: 3, nested: { ok: true }, list: [1, 'two'] });
  });
  const [record] = jsonRecords(bytes);
  assert.equal(record.msg, 'with fields');
  assert.equal(record.task, 'build');
  assert.equal(record.count, 3);
  assert.deepEqual(record.nested, { ok: true });
  assert.deepEqual(record.list, [1, 'two']);
});

test('JSON records hold an Error as err with its message and stack', async (t) => {
  const error = new Error('disk on fire');
  const bytes = await logTo(t, { format: 'json' }, (s) => s.logger.error('failed', error));
  const [record] = jsonRecords(bytes);
  assert.equal(record.msg, 'failed');
  const err = record.err as { message: string; stack: string };
  assert.equal(err.message, 'disk on fire');
  assert.equal(err.stack, error.stack);
});

test('JSON records keep a multi-line message and control characters on one line, with no raw control bytes', async (t) => {
  const message = 'line one\nline two\r\x1b[31m\b\x00\x9b\x7f';
  const bytes = await logTo(t, { format: 'json' }, (s) => {
    s.logger.info(message, { field: 'a\x1bb\x9bc' });
    s.logger.info('next');
  });
  const records = jsonRecords(bytes);
  assert.equal(records.length, 2);
  assert.equal(records[0].msg, message, 'the message reads back exactly');
  assert.equal(records[0].field, 'a\x1bb\x9bc');
  assertNoControlBytes(bytes);
  assert.equal(bytes.indexOf(0x9b), -1);
});

test('circular extra objects and BigInt values do not throw, in JSON, and the line still parses', async (t) => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  const bytes = await logTo(t, { format: 'json' }, (s) => {
    s.logger.info('circular', { circular, other: 'kept?' });
    s.logger.info('bigint', { n: 12345678901234567890n });
  });
  const records = jsonRecords(bytes);
  assert.deepEqual(records.map((r) => r.msg), ['circular', 'bigint']);
  assert.equal(String(records[1].n), '12345678901234567890');
});

test('a message that is not a string never throws, in JSON', async (t) => {
  const throwing = { toString(): string { throw new Error('toString boom'); } };
  const bytes = await logTo(t, { format: 'json' }, (s) => {
    s.logger.info(42 as unknown as string);
    s.logger.info(throwing as unknown as string);
    s.logger.info('after');
  });
  const records = jsonRecords(bytes);
  assert.equal(records.length, 3);
  assert.equal(records[0].msg, '42');
  assert.equal(typeof records[1].msg, 'string');
  assert.equal(records[2].msg, 'after');
});
