/**
 * No message can drive a terminal (docs/design.md §2): every control character but
 * tab is escaped, in text and in JSON records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture, runNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';

const CHILD = fixture('escape-child.ts');
const CHARS = [...Array.from({ length: 0xa1 }, (_, code) => code), 0xb0, 0x20ac, 0xd800, 0x1f600];

/** What the text format must show for a character: an oracle written apart from the implementation. */
function expectedText(code: number): string {
  if (code === 0x0a) return '\n    ';
  if (code === 0x0d) return '\\r';
  if (code === 0x09) return '\t';
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code === 0xd800) return '\ufffd'; // a lone surrogate has no UTF-8: the encoder writes U+FFFD
  return String.fromCodePoint(code);
}

async function logEveryChar(t: { after(fn: () => void): void }, format: 'text' | 'json'): Promise<string> {
  const dir = tempDir(t);
  const result = await runNode(CHILD, [dir, format]);
  assert.equal(result.code, 0, result.stderr);
  return readFileSync(onlyLogFile(dir), 'utf8');
}

test('text format: each character U+0000..U+00A0 is written as expected, and no raw control byte is left', async (t) => {
  const text = await logEveryChar(t, 'text');
  for (const code of CHARS) {
    const expected = `- automake - INFO - char ${code.toString(16)}: a${expectedText(code)}b\n`;
    assert.ok(text.includes(expected), `U+${code.toString(16).padStart(4, '0')} written as ${JSON.stringify(expectedText(code))}`);
  }
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
});

test('JSON format: each record parses back to its message, and no raw control byte is left', async (t) => {
  const text = await logEveryChar(t, 'json');
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f]/, 'no raw control character');
  const messages = new Set(text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg));
  for (const code of CHARS) {
    // JSON.stringify escapes a lone surrogate (\ud800), so even that one round-trips.
    assert.ok(messages.has(`char ${code.toString(16)}: a${String.fromCodePoint(code)}b`), `U+${code.toString(16).padStart(4, '0')} round-trips`);
  }
});
