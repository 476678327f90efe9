/**
 * What `logs view` prints from a file goes through here (docs/design.md §7): a log
 * may have been planted, or written by another program, and must not drive the
 * terminal it is read on.
 */

/** C0 controls other than tab and newline, DEL, and the C1 controls U+0080..U+009F. */
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** A control character as the writer escapes it: `\r` as `\\r`, the rest as `\\xNN`. */
function escaped(code: number): string {
  return code === 0x0d ? '\\r' : '\\x' + code.toString(16).padStart(2, '0');
}

/** The length of the well-formed UTF-8 sequence at `i` (2 to 4), or 0 when there is none there. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i];
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  // Overlong forms (E0 80..9F, F0 80..8F) could spell a control character to a lax decoder.
  const second = bytes[i + 1];
  if ((lead === 0xe0 && second < 0xa0) || (lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second > 0x8f)) return 0;
  for (let k = 1; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  return length;
}

/**
 * `data` with every control character other than newline and tab escaped
 * visibly (`\x1b`, `\r`), as the writer escapes them, so that printing it cannot
 * drive a terminal. Bytes are judged as UTF-8: U+0080..U+009F and any byte
 * 0x80..0x9F outside a well-formed sequence (a C1 control to an 8-bit terminal)
 * are escaped too; other text, valid or not, is left as it is.
 */
export function escapeControlChars(data: string): string;
export function escapeControlChars(data: Uint8Array): Buffer;
export function escapeControlChars(data: string | Uint8Array): string | Buffer {
  if (typeof data === 'string') return data.replace(CONTROL_CHARS, (c) => escaped(c.charCodeAt(0)));
  const parts: Uint8Array[] = [];
  let copied = 0;
  const escapeAt = (i: number, length: number, code: number) => {
    parts.push(data.subarray(copied, i), Buffer.from(escaped(code), 'latin1'));
    copied = i + length;
  };
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte < 0x80) {
      if ((byte < 0x20 && byte !== 0x09 && byte !== 0x0a) || byte === 0x7f) escapeAt(i, 1, byte);
      continue;
    }
    const length = sequenceLength(data, i);
    if (length === 0) {
      if (byte <= 0x9f) escapeAt(i, 1, byte);
      continue;
    }
    // C2 80..9F is U+0080..U+009F: the C1 controls.
    if (byte === 0xc2 && data[i + 1] <= 0x9f) escapeAt(i, 2, data[i + 1]);
    i += length - 1;
  }
  if (copied === 0) return Buffer.from(data.buffer, data.byteOffset, data.length);
  parts.push(data.subarray(copied));
  return Buffer.concat(parts);
}
