/** The end of a log file, and following it as it grows, like `tail` and `tail -f`. */
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How many lines `logs view` prints when not told. */
export const DEFAULT_VIEW_LINES = 50;

const READ_CHUNK = 64 * 1024;
// Often enough that a followed line appears "at once" to a person, rarely
// enough that an idle follower costs nothing measurable.
const FOLLOW_INTERVAL_MS = 200;

/** Reads `length` bytes at `position`, or fewer if the file is shorter now. */
function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const read = fs.readSync(fd, buffer, filled, length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}

/** The offset where the last `count` lines of the first `end` bytes begin. */
function tailStart(fd: number, end: number, count: number): number {
  let newlines = 0;
  for (let position = end; position > 0;) {
    const length = Math.min(READ_CHUNK, position);
    position -= length;
    const chunk = readAt(fd, position, length);
    for (let i = chunk.length - 1; i >= 0; i--) {
      // The newline that ends the file ends the last line; it starts none.
      if (chunk[i] !== 0x0a || position + i === end - 1) continue;
      if (++newlines === count) return position + i + 1;
    }
  }
  return 0;
}

/**
 * The last `count` lines of the open file `fd`, raw (a last line without a
 * newline counts as one), and the offset they end at, to follow from.
 */
export function readLastLines(fd: number, count: number): { bytes: Buffer; end: number } {
  const end = fs.fstatSync(fd).size;
  if (count === 0 || end === 0) return { bytes: Buffer.alloc(0), end };
  const start = tailStart(fd, end, count);
  return { bytes: readAt(fd, start, end - start), end };
}

/** Where following ended: stopped by the caller or the output, or the file was deleted (or replaced). */
export type FollowEnd = 'stopped' | 'deleted';

/**
 * Copies to `write` whatever is appended to `filePath` (open at `fd`) after
 * `offset`, until `signal` aborts, `write` returns false (the output closed),
 * or the file is deleted. Polls: `fs.watch` misses events on network and
 * container filesystems, and a poll of one fstat is cheap.
 */
export async function followFile(
  fd: number,
  filePath: string,
  offset: number,
  write: (bytes: Buffer) => Promise<boolean>,
  signal: AbortSignal,
): Promise<FollowEnd> {
  let position = offset;
  while (!signal.aborted) {
    const stats = fs.fstatSync(fd);
    // Truncated under us: start again from the top, as `tail -f` does.
    if (stats.size < position) position = 0;
    while (position < stats.size && !signal.aborted) {
      const bytes = readAt(fd, position, Math.min(READ_CHUNK, stats.size - position));
      if (bytes.length === 0) break;
      position += bytes.length;
      if (!(await write(bytes))) return 'stopped';
    }
    // Checked after the last read, so that lines written just before the delete are shown.
    if (isDeleted(filePath, stats)) return 'deleted';
    try {
      await sleep(FOLLOW_INTERVAL_MS, undefined, { signal });
    } catch {
      break;
    }
  }
  return 'stopped';
}

/** Whether the file open as `stats` is no longer at `filePath`: unlinked, or another file put there. */
function isDeleted(filePath: string, stats: fs.Stats): boolean {
  if (stats.nlink === 0) return true;
  const current = fs.statSync(filePath, { throwIfNoEntry: false });
  return current === undefined || current.ino !== stats.ino || current.dev !== stats.dev;
}
