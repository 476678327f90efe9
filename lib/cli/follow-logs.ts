/**
 * `logs view -f`: what is appended to one session's log, or to every log, as it
 * is written. Following reads only what was appended.
 */
import * as fs from 'node:fs';
import { isSessionRunning } from '../logging.ts';
import { keeps, type RecordFilter } from './filter.ts';
import { openLog, withLog } from './log-files.ts';
import { compareRecords, type ReadEnds, type ViewedLog, type ViewRecord } from './merge-records.ts';
import { RecordReader, type LogRecord } from './read-records.ts';
import { isEndRecord } from './record-parts.ts';

// Polled, not watched: fs.watch misses events on network and container file
// systems. A tenth of a second keeps a record's delay to the screen well under
// the 200 ms target, and a poll of one fstat per file costs little.
const FOLLOW_INTERVAL_MS = 100;

/** How following ended: stopped (Ctrl-C, a closed output), the one session ended, or its log was deleted. */
export type FollowEnd = 'stopped' | 'ended' | 'deleted';

/** A log being followed: what has been read of it. */
interface Followed {
  log: ViewedLog;
  reader: RecordReader;
}

/**
 * Follows one session's log from `start`: every complete record appended goes
 * to `emit`. Ends once the session has ended (its end record read, or its
 * process gone) and its log has been read to the end; or when the log is deleted.
 */
export async function followSession(
  log: ViewedLog,
  start: number,
  filter: RecordFilter,
  emit: (records: ViewRecord[]) => Promise<boolean>,
  signal: AbortSignal,
): Promise<FollowEnd> {
  let fd: number;
  try {
    fd = openLog(log.path);
  } catch {
    return 'deleted';
  }
  const reader = new RecordReader(start);
  try {
    while (!signal.aborted) {
      // Asked before reading: whatever it wrote before it went is then in the file.
      const gone = !isSessionRunning(log.path, fs.fstatSync(fd));
      const stats = fs.fstatSync(fd);
      let ended = false;
      while (reader.position < stats.size) {
        const before = reader.position;
        const records = reader.read(fd, stats.size);
        if (records.length > 0) {
          ended = isEndRecord(records[records.length - 1]);
          const kept = records.filter((record) => keeps(filter, record)).map((record) => ({ record, log }));
          if (kept.length > 0 && !(await emit(kept))) return 'stopped';
        }
        if (reader.position === before) break;
      }
      if (ended) return 'ended';
      if (isDeleted(log.path, stats)) return 'deleted';
      if (gone) return 'ended';
      try {
        await pause(signal);
      } catch {
        break;
      }
    }
    return 'stopped';
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether the file open as `stats` is no longer at `filePath`: unlinked, or another file put there. */
function isDeleted(filePath: string, stats: fs.Stats): boolean {
  if (stats.nlink === 0) return true;
  const current = fs.statSync(filePath, { throwIfNoEntry: false });
  return current === undefined || current.ino !== stats.ino || current.dev !== stats.dev;
}

/**
 * Follows every log `list()` returns, from where `ends` says the first output
 * ended (a log that appears later is read from its start), until `signal`
 * aborts or `emit` returns false. Each round's records are merged by time.
 */
export async function followAll(
  list: () => ViewedLog[],
  ends: ReadEnds,
  filter: RecordFilter,
  emit: (records: ViewRecord[]) => Promise<boolean>,
  signal: AbortSignal,
): Promise<FollowEnd> {
  const followed = new Map<string, Followed>();
  for (const [log, end] of ends) followed.set(log.path, { log, reader: new RecordReader(end) });
  while (!signal.aborted) {
    const round: ViewRecord[] = [];
    for (const log of list()) {
      let entry = followed.get(log.path);
      if (entry === undefined) {
        entry = { log, reader: new RecordReader(0) };
        followed.set(log.path, entry);
      }
      // A file cut back (cleared by hand): start again from the top, as `tail -f` does.
      if (log.size < entry.reader.position) entry.reader = new RecordReader(0);
      if (log.size === entry.reader.position) continue;
      const current = entry;
      const records = withLog(log.path, [], (fd) => {
        const all: LogRecord[] = [];
        for (let before = -1; current.reader.position < log.size && current.reader.position !== before;) {
          before = current.reader.position;
          all.push(...current.reader.read(fd, log.size));
        }
        return all;
      });
      for (const record of records) if (keeps(filter, record)) round.push({ record, log: current.log });
    }
    if (round.length > 0 && !(await emit(round.sort(compareRecords)))) return 'stopped';
    try {
      await pause(signal);
    } catch {
      break;
    }
  }
  return 'stopped';
}

/** Waits FOLLOW_INTERVAL_MS, or rejects once `signal` aborts. node:timers/promises is loaded by the first wait, not by every command. */
async function pause(signal: AbortSignal): Promise<void> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  await sleep(FOLLOW_INTERVAL_MS, undefined, { signal });
}
