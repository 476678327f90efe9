/**
 * What `exec` writes into the log, tested without running it: the command's output
 * cut into whole lines whatever the chunks, and the command line quoted as a shell
 * would need it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../lib/cli/exec-run.ts';
import { shellQuote } from '../lib/logging.ts';

function split(chunks: Buffer[]): [string, boolean][] {
  const lines: [string, boolean][] = [];
  // The splitter hands on whole lines in blocks; each line is one entry here.
  const splitter = new LineSplitter((block, continued) => {
    const text = typeof block === 'string' ? block : Buffer.from(block).toString('utf8');
    for (const line of text.split('\n')) lines.push([line, continued]);
  });
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

test('lines split across chunks come out whole, and a last line without a newline comes out at the end', () => {
  const lines = split([Buffer.from('one\ntw'), Buffer.from('o\n\nthr'), Buffer.from('ee')]);
  assert.deepEqual(lines, [['one', false], ['two', false], ['', false], ['three', false]]);
});

test('a character whose bytes are split across chunks stays whole', () => {
  const bytes = Buffer.from('naïve 😀\n');
  const cut = bytes.indexOf(0xf0) + 2;
  assert.deepEqual(split([bytes.subarray(0, cut), bytes.subarray(cut)]), [['naïve 😀', false]]);
});

test('a CRLF line ending loses its carriage return, one in the middle of a line stays', () => {
  assert.deepEqual(split([Buffer.from('dos\r\n10%\r20%\n')]), [['dos', false], ['10%\r20%', false]]);
});

test('a line longer than 64 KiB is logged in pieces marked as continued, never within a character', () => {
  const long = 'x'.repeat(64 * 1024 + 10);
  const lines = split([Buffer.from(long.slice(0, 70_000)), Buffer.from(long.slice(70_000) + '\nnext\n')]);
  assert.deepEqual(lines.map(([line, continued]) => [line.length, continued]), [[64 * 1024, true], [10, false], [4, false]]);
  assert.equal(lines[0][0] + lines[1][0], long);
  // 'é' is 2 bytes: 64 KiB falls inside the character at 32 Ki - 1 after an 'x', so the piece ends before it.
  const accented = 'x' + 'é'.repeat(40_000);
  const pieces = split([Buffer.from(accented), Buffer.from('\n')]);
  assert.deepEqual(pieces.map(([line, continued]) => [Buffer.byteLength(line), continued]), [[64 * 1024 - 1, true], [80_001 - (64 * 1024 - 1), false]]);
  assert.equal(pieces[0][0] + pieces[1][0], accented);
});

test('the logged command line quotes only the words a shell would need quoted', () => {
  assert.equal(shellQuote(['ls', '-la', 'my file', "it's", '', 'a=b']), `ls -la 'my file' 'it'\\''s' '' a=b`);
});
