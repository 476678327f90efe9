/**
 * One record is bounded (docs/design.md §6): a record longer than maxRecordBytes
 * (default 1 MiB) is cut on a character boundary and ends with `… [truncated N
 * bytes]`, N the bytes cut off; a JSON record stays valid JSON.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';

import { resolveSettings } from '../lib/logging.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { withSession } from './helpers/session.ts';

const MIB = 1024 * 1024;
const NOTE = /… \[truncated (\d+) bytes\]$/;

/** The records a session wrote, as raw lines (no newline), between header and end. */
async function recordsOf(t: { after(fn: () => void): void }, options: Parameters<typeof withSession>[0], log: Parameters<typeof withSession>[1]): Promise<string[]> {
  return bodyLines(fileLines(await withSession({ dir: tempDir(t), env: {}, ...options }, log)));
}

test('a 10 MB message: the text record is cut to 1 MiB and says how many bytes were cut; the next record is whole', async (t) => {
  const message = 'base64 ' + 'QUJD'.repeat(2_500_000);
  const [big, next] = await recordsOf(t, {}, (s) => {
    s.logger.info(message);
    s.logger.info('next');
  });
  assert.ok(Buffer.byteLength(big!) <= MIB, `${Buffer.byteLength(big!)} bytes`);
  const cut = Number(NOTE.exec(big!)?.[1]);
  const head = big!.slice(0, big!.indexOf(' - INFO - ') + ' - INFO - '.length);
  const kept = big!.slice(head.length).replace(NOTE, '');
  assert.ok(message.startsWith(kept), 'the record keeps the start of its message');
  assert.equal(Buffer.byteLength(head) + kept.length + cut, Buffer.byteLength(head) + message.length, 'N is the number of bytes cut off');
  assert.match(next!, / - INFO - next$/);
});

test('a 10 MB message and a 10 MB field in JSON: each line parses, is within 1 MiB and its last string ends with the note', async (t) => {
  const huge = 'a'.repeat(10 * 1000 * 1000);
  const lines = await recordsOf(t, { format: 'json' }, (s) => {
    s.logger.info(huge, { after: 1 });
    s.logger.info('small', { output: huge, more: 'x' });
    s.logger.info('next');
  });
  const [inMessage, inField, next] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const line of lines.slice(0, 2)) assert.ok(Buffer.byteLength(line) <= MIB, `${Buffer.byteLength(line)} bytes`);
  assert.match(inMessage!.msg as string, /^a+… \[truncated \d+ bytes\]$/);
  assert.equal(inField!.msg, 'small');
  assert.match(inField!.output as string, /^a+… \[truncated \d+ bytes\]$/);
  assert.equal(next!.msg, 'next');
});

test('a cut inside a multi-byte character falls before it: the record is valid UTF-8 and within the bound, text and JSON', async (t) => {
  for (const format of ['text', 'json'] as const) {
    for (const char of ['é', '€', '😀']) {
      for (let shift = 0; shift < 4; shift++) {
        const dir = tempDir(t);
        await withSession({ dir, env: {}, format, maxRecordBytes: 1024 }, (s) => s.logger.info('x'.repeat(shift) + char.repeat(2000)));
        const file = fs.readdirSync(dir).find((name) => name.endsWith('.log'))!;
        const bytes = fs.readFileSync(`${dir}/${file}`);
        const line = bodyLines(bytes.toString('utf8').trimEnd().split('\n'))[0]!;
        assert.ok(!line.includes('\ufffd'), `${format} ${char} +${shift}: no broken character`);
        assert.ok(Buffer.byteLength(line) <= 1024, `${format} ${char} +${shift}: ${Buffer.byteLength(line)} bytes`);
        const message = format === 'json' ? (JSON.parse(line) as { msg: string }).msg : line.replace(/^.* - INFO - /, '');
        assert.match(message, new RegExp(`^x{${shift}}(?:${char})+… \\[truncated \\d+ bytes\\]$`, 'u'));
      }
    }
  }
});

test('lines() bounds each line; maxRecordBytes comes from the option, else AUTOMAKE_LOG_MAX_RECORD_SIZE; a bad value warns', async (t) => {
  const lines = await recordsOf(t, { env: { AUTOMAKE_LOG_MAX_RECORD_SIZE: '2K' } }, (s) => s.logger.lines('INFO', `short\n${'y'.repeat(5000)}\nshort`));
  assert.deepEqual(lines.map((line) => Buffer.byteLength(line) <= 2048 && (NOTE.test(line) || line.endsWith('short'))), [true, true, true]);
  assert.equal(resolveSettings({ env: { HOME: '/tmp', AUTOMAKE_LOG_MAX_RECORD_SIZE: '64K' }, maxRecordBytes: 4096 }).settings.maxRecordBytes.value, 4096);
  const { settings, warnings } = resolveSettings({ env: { HOME: '/tmp', AUTOMAKE_LOG_MAX_RECORD_SIZE: '512' } });
  assert.equal(settings.maxRecordBytes.value, MIB);
  assert.match(warnings.join('\n'), /Ignoring AUTOMAKE_LOG_MAX_RECORD_SIZE="512": not a valid value; using the default 1 MiB/);
  assert.throws(() => resolveSettings({ env: {}, maxRecordBytes: 100 }), /"maxRecordBytes" must be a whole number of bytes of at least 1 KiB/);
});
