/**
 * A session whose file name is taken before it starts (tests/open.test.ts). The
 * name holds this process's PID, so the child plants the obstacle itself, then
 * calls initLogging and prints one JSON line saying what happened.
 *
 * Usage: node --import tsx tests/helpers/open-child.ts <mode> <dir> [target]
 * Modes: symlink (to target), dangling (symlink to target, which does not exist),
 * existing (a regular file with earlier content), fifo, fifo-reader (a FIFO with
 * a reader open), directory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { initLogging, logFileName, LoggingSetupError } from '../../lib/logging.ts';

const [mode, dir, target] = process.argv.slice(2);
// The obstacle must carry the name initLogging picks a moment later, so it may not
// be planted in the last second before local midnight: wait for the new day.
const SAFE_MS = 1000;
if (logFileName(new Date(), 1) !== logFileName(new Date(Date.now() + SAFE_MS), 1)) {
  await new Promise((resolve) => setTimeout(resolve, SAFE_MS));
}
const planted = path.join(dir, logFileName(new Date(), process.pid));
let readerFd: number | undefined;

switch (mode) {
  case 'symlink':
  case 'dangling':
    fs.symlinkSync(target, planted);
    break;
  case 'existing':
    fs.writeFileSync(planted, 'earlier session line\n', { mode: 0o600 });
    break;
  case 'fifo':
    execFileSync('mkfifo', [planted]);
    break;
  case 'fifo-reader':
    execFileSync('mkfifo', [planted]);
    readerFd = fs.openSync(planted, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    break;
  case 'directory':
    fs.mkdirSync(planted);
    break;
  default:
    throw new Error(`unknown mode ${mode}`);
}

interface Outcome {
  planted: string;
  opened?: string;
  error?: { name: string; message: string; isSetupError: boolean; path?: string; causeCode?: string };
}

const outcome: Outcome = { planted };
try {
  const session = initLogging({ dir, env: {} });
  outcome.opened = session.filePath;
  session.logger.info('new session line');
  await session.close();
} catch (error) {
  const e = error as Error & { path?: string; cause?: { code?: string } };
  outcome.error = {
    name: e.name,
    message: e.message,
    isSetupError: error instanceof LoggingSetupError,
    path: e.path,
    causeCode: e.cause?.code,
  };
}
if (readerFd !== undefined) fs.closeSync(readerFd);
process.stdout.write(JSON.stringify(outcome) + '\n');
