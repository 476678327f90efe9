/**
 * Levels and loggers (docs/design.md §1): which records a level lets through, level
 * names, `isEnabledFor`, and named loggers (`getLogger`, `child()`).
 *
 * These tests share the module's state (one active session): each one closes
 * its session (withSession), and they run one after another.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';

import { getLogger } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { levelsAndMessages, withSession } from './helpers/session.ts';

// --- levels and loggers -------------------------------------------------------

test('DEBUG records are hidden at INFO and shown at level debug', async (t) => {
  const hidden = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.debug('d');
    s.logger.info('i');
  });
  assert.deepEqual(levelsAndMessages(hidden), ['INFO - i']);
  const shown = await withSession({ dir: tempDir(t), level: 'debug', env: {} }, (s) => {
    s.logger.debug('d');
    s.logger.info('i');
    s.logger.warning('w');
    s.logger.error('e');
    s.logger.critical('c');
  });
  assert.deepEqual(levelsAndMessages(shown), ['DEBUG - d', 'INFO - i', 'WARNING - w', 'ERROR - e', 'CRITICAL - c']);
});

test('level names are case-insensitive and warn is an alias of WARNING', async (t) => {
  for (const level of ['Warning', 'WARN', 'warn', 'wArNiNg']) {
    const file = await withSession({ dir: tempDir(t), level, env: {} }, (s) => {
      s.logger.info('i');
      s.logger.warn('via warn');
      s.logger.warning('via warning');
      s.logger.error('e');
    });
    assert.deepEqual(levelsAndMessages(file), ['WARNING - via warn', 'WARNING - via warning', 'ERROR - e'], level);
  }
});

test('isEnabledFor tells whether a record at a level would be written', async (t) => {
  await withSession({ dir: tempDir(t), level: 'warning', env: {} }, (s) => {
    assert.equal(s.logger.isEnabledFor('DEBUG'), false);
    assert.equal(s.logger.isEnabledFor('INFO'), false);
    assert.equal(s.logger.isEnabledFor('WARNING'), true);
    assert.equal(s.logger.isEnabledFor('ERROR'), true);
    assert.equal(s.logger.isEnabledFor('CRITICAL'), true);
    assert.equal(getLogger('automake.other').isEnabledFor('INFO'), false);
  });
  await withSession({ dir: tempDir(t), level: 'debug', env: {} }, (s) => {
    assert.equal(s.logger.isEnabledFor('DEBUG'), true);
  });
});

test('child() names a logger <parent>.<name>, and its records carry that name', async (t) => {
  const file = await withSession({ dir: tempDir(t), env: {} }, (s) => {
    const agent = s.logger.child('agent');
    assert.equal(agent.name, 'automake.agent');
    assert.equal(agent.child('tool').name, 'automake.agent.tool');
    assert.equal(agent, getLogger('automake.agent'));
    agent.info('from the agent');
  });
  assert.match(bodyLines(fileLines(file))[0], / - automake\.agent - INFO - from the agent$/);
});

test('getLogger returns the same object for the same name, and the root logger by default', async (t) => {
  assert.equal(getLogger('automake.same'), getLogger('automake.same'));
  assert.notEqual(getLogger('automake.same'), getLogger('automake.other'));
  assert.equal(getLogger(), getLogger('automake'));
  assert.equal(getLogger().name, 'automake');
  await withSession({ dir: tempDir(t), env: {} }, (s) => {
    assert.equal(s.logger, getLogger());
  });
});

test('bad logger names throw a TypeError', () => {
  for (const name of ['', 'has space', 'new\nline', 'esc\x1b', 'tab\tname', 42 as unknown as string]) {
    assert.throws(() => getLogger(name), TypeError, JSON.stringify(name));
  }
  assert.throws(() => getLogger('automake').child('a b'), TypeError);
});

// --- log(level) and lines(level, text) ----------------------------------------

test('log(level, …) writes at that level, and a name that is no level is a TypeError naming it', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.log('DEBUG', 'hidden');
    s.logger.log('WARNING', 'w');
    s.logger.log('ERROR', 'e');
    assert.throws(() => s.logger.log('loud' as 'INFO', 'x'), { name: 'TypeError', message: /DEBUG, INFO, WARNING, ERROR, CRITICAL: received "loud"/ });
  });
  assert.deepEqual(levelsAndMessages(file), ['WARNING - w', 'ERROR - e']);
});

test('lines() writes each line as a record of its own, one timestamp for all, and none can forge another logger', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    s.logger.child('out').lines('INFO', 'one\n\nthree - automake - ERROR - forged');
    s.logger.lines('DEBUG', 'below the level');
  });
  const lines = bodyLines(fileLines(file));
  assert.deepEqual(levelsAndMessages(file), ['INFO - one', 'INFO - ', 'INFO - three - automake - ERROR - forged']);
  assert.ok(lines.every((line) => line.includes(' - automake.out - INFO - ')), 'every line is a record of automake.out');
  assert.equal(new Set(lines.map((line) => line.slice(0, 23))).size, 1, 'one timestamp for the block');
});

test('lines() in JSON writes one object per line', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', format: 'json', env: {} }, (s) => {
    s.logger.lines('WARNING', 'a "quoted"\nb');
  });
  const records = bodyLines(fileLines(file)).map((line) => JSON.parse(line) as { level: number; msg: string });
  assert.deepEqual(records.map((r) => [r.level, r.msg]), [[40, 'a "quoted"'], [40, 'b']]);
});

test('lines() before initLogging holds one record per line', async (t) => {
  getLogger('automake.early').lines('INFO', 'first\nsecond');
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, () => {});
  assert.deepEqual(levelsAndMessages(file), ['INFO - first', 'INFO - second']);
});

// --- lines(level, bytes) --------------------------------------------------------
//
// Given bytes, lines() encodes a block of plain ASCII lines straight into records
// (docs/design.md §10), and hands anything else to the path that takes text. Each
// case is logged both ways in one session; the records must be the same, byte for byte.

/** The records of a text log but the session's own, without their timestamps. */
function untimed(file: string): string[] {
  return bodyLines(fileLines(file)).map((line) => line.slice(23));
}

const plainBlock = (lines: number, width = 60) => Array.from({ length: lines }, (_, i) => `line ${i} ${'x'.repeat(width)}`).join('\n');

const BYTE_CASES: { name: string; logger: string; bytes: Buffer }[] = [
  { name: 'plain ASCII lines', logger: 'automake.out', bytes: Buffer.from(plainBlock(200)) },
  { name: 'tabs, empty lines, a last empty line', logger: 'automake.out', bytes: Buffer.from(`${plainBlock(100)}\n\na\tb\t\n${plainBlock(10)}\n`) },
  { name: 'secrets among plain lines', logger: 'automake.out', bytes: Buffer.from(`${plainBlock(100)}\nGITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\ncurl -H 'Authorization: Bearer abc.def.ghi' x\n${plainBlock(100)}`) },
  { name: 'control characters and a carriage return', logger: 'automake.out', bytes: Buffer.from(`${plainBlock(100)}\n\x1b[31mred\x1b[0m del\x7f\n10%\r20%\n${plainBlock(10)}`) },
  { name: 'UTF-8, and bytes that are not UTF-8', logger: 'automake.out', bytes: Buffer.concat([Buffer.from(`${plainBlock(100)}\nnaïve 😀\n`), Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a]), Buffer.from(plainBlock(10))]) },
  { name: 'a head longer than 64 bytes', logger: `automake.${'long'.repeat(20)}`, bytes: Buffer.from(plainBlock(200)) },
  { name: 'a logger name the scan flags', logger: 'automake.my_tool', bytes: Buffer.from(plainBlock(200)) },
  { name: 'a block too big for the fast path', logger: 'automake.out', bytes: Buffer.from(plainBlock(2500)) },
  { name: 'a block smaller than a fast one', logger: 'automake.out', bytes: Buffer.from('one\ntwo') },
];

test('lines() given bytes writes the records it writes for the same text', async (t) => {
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, () => {
    for (const { logger, bytes } of BYTE_CASES) {
      getLogger(logger).lines('INFO', bytes);
      getLogger(logger).lines('INFO', bytes.toString('utf8'));
    }
  });
  const records = untimed(file);
  let at = 0;
  for (const { name, bytes } of BYTE_CASES) {
    // A final newline ends the last line and starts no empty one.
    const count = bytes.toString('utf8').replace(/\n$/, '').split('\n').length;
    const fromBytes = records.slice(at, at + count);
    const fromText = records.slice(at + count, at + 2 * count);
    assert.equal(fromText.length, count, `${name}: ${count} records from the text`);
    assert.deepEqual(fromBytes, fromText, name);
    at += 2 * count;
  }
  assert.equal(at, records.length, 'no other records');
  const log = fs.readFileSync(file, 'utf8');
  assert.ok(!log.includes('ghp_abcdefghijklmnopqrstuvwxyz0123456789') && !log.includes('abc.def.ghi'), 'the secrets were redacted');
  assert.ok(log.includes('\\x1b[31mred'), 'control characters were escaped');
});

test('lines() given bytes: blocks enough to fill the writer many times over land whole and in order', async (t) => {
  // About 190 KiB of records a block, 24 MiB in all: the blocks' batches are refilled several times.
  const blocks = Array.from({ length: 128 }, (_, b) => Array.from({ length: 1600 }, (_, i) => `block ${b} line ${i} ${'y'.repeat(40)}`).join('\n'));
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {}, maxSessionBytes: Infinity, maxTotalBytes: Infinity, minFreeBytes: 0 }, async (s) => {
    for (const [b, block] of blocks.entries()) {
      s.logger.lines('INFO', Buffer.from(block));
      // A turn of the event loop every 8 blocks, so that writes are in flight on
      // the thread pool; then 64 blocks (12 MiB) in one turn, more than the
      // writer can hold without writing some of them itself.
      if (b < 64 && b % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  });
  const expected = blocks.flatMap((block) => block.split('\n')).map((line) => ` - automake - INFO - ${line}`);
  assert.deepEqual(untimed(file), expected);
});

test('lines() given bytes keeps nothing of them past the call, and holds them as text before initLogging', async (t) => {
  const early = Buffer.from('held one\nheld two');
  getLogger('automake.early').lines('INFO', early);
  early.fill(0x5a);
  const file = await withSession({ dir: tempDir(t), level: 'INFO', env: {} }, (s) => {
    const bytes = Buffer.from(plainBlock(200));
    s.logger.lines('INFO', bytes);
    bytes.fill(0x5a);
    s.logger.lines('DEBUG', Buffer.from(plainBlock(200)));
  });
  assert.deepEqual(levelsAndMessages(file), ['INFO - held one', 'INFO - held two', ...plainBlock(200).split('\n').map((line) => `INFO - ${line}`)]);
});

test('lines() given bytes in JSON writes the records it writes for the same text', async (t) => {
  const bytes = Buffer.from(`${plainBlock(100)}\na "quoted"\ttab`);
  const file = await withSession({ dir: tempDir(t), level: 'INFO', format: 'json', env: {} }, (s) => {
    s.logger.lines('INFO', bytes);
    s.logger.lines('INFO', bytes.toString('utf8'));
  });
  const records = bodyLines(fileLines(file)).map((line) => {
    const { time: _time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    return rest;
  });
  assert.equal(records.length, 202);
  assert.deepEqual(records.slice(0, 101), records.slice(101));
});
