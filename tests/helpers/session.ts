/**
 * Helpers for the tests that open sessions in their own process. The module
 * allows one session at a time and holds records logged before it: each test
 * closes its session, and the tests of a file run one after another.
 */
import { initLogging, type LoggingOptions, type LogSession } from '../../lib/logging.ts';
import { bodyLines, fileLines, TIMESTAMP_START } from './records.ts';

/** Opens a session, runs `fn`, always closes the session, and returns its file. */
export async function withSession(options: LoggingOptions, fn: (session: LogSession) => void | Promise<void>): Promise<string> {
  const session = initLogging(options);
  try {
    await fn(session);
  } finally {
    await session.close();
  }
  return session.filePath;
}

/** The `<LEVEL> - <message>` part of each record start in a text log, but the session's header and end records. */
export function levelsAndMessages(file: string): string[] {
  return bodyLines(fileLines(file))
    .filter((line) => TIMESTAMP_START.test(line))
    .map((line) => line.replace(/^.*? - .*? - /, ''));
}
