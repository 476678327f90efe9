/**
 * A child process for the fault tests: logs numbered records, then ends in the
 * way the scenario names. Run as
 *   node --import tsx tests/helpers/scenario.ts <scenario> <logDir> [count] [tag]
 * Every record's message is `<tag> <n>` so the parent can check count and order.
 */
import * as fs from 'node:fs';
import { initLogging, type LogSession } from '../../lib/logging.ts';

const [scenario, dir, countText = '1000', tag = 'rec'] = process.argv.slice(2);
const count = Number(countText);
const format = process.env.SCENARIO_FORMAT === 'json' ? 'json' : 'text';
const session: LogSession = initLogging({ dir, format, level: 'DEBUG' });
const log = session.logger;
// About 100 bytes a line in the text format.
const padding = 'x'.repeat(40);

function logRecords(from: number, to: number): void {
  for (let i = from; i < to; i++) log.info(`${tag} ${i} ${padding}`);
}

/** Logs records 0 … count-1, `size` per turn of the event loop, then calls `then`. */
function logInBursts(size: number, then: () => void): void {
  let next = 0;
  const burst = () => {
    logRecords(next, Math.min(next + size, count));
    next += size;
    if (next < count) setImmediate(burst);
    else then();
  };
  burst();
}

function report(fields: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(fields) + '\n');
}

switch (scenario) {
  case 'exit': {
    logRecords(0, count);
    process.exit(3);
  }
  case 'exit-in-flight': {
    // Bursts across ticks keep the stream's writes going, so process.exit()
    // lands while a chunk is in flight on the thread pool.
    logInBursts(1500, () => process.exit(3));
    break;
  }
  case 'return': {
    logRecords(0, count);
    break;
  }
  case 'uncaught': {
    logRecords(0, count);
    setTimeout(() => {
      throw new Error('kaboom from a timer');
    }, 0);
    break;
  }
  case 'rejection': {
    logRecords(0, count);
    void Promise.reject(new Error('nobody caught this promise'));
    break;
  }
  case 'signal':
  case 'signal-own-handler': {
    if (scenario === 'signal-own-handler') {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.on(signal, () => {
          log.info(`application handled ${signal}`);
          setTimeout(() => process.exit(7), 20);
        });
      }
    }
    // Keep records queued and in flight when the signal lands: log a burst on
    // every turn of the event loop until the signal ends us.
    let next = 0;
    // Registered after initLogging's own 'exit' hook, so it runs after the flush.
    process.on('exit', () => report({ logged: next }));
    const burst = () => {
      logRecords(next, next + 500);
      next += 500;
      if (next === 5000) report({ ready: true });
      setImmediate(burst);
    };
    burst();
    break;
  }
  case 'error-then-sigkill': {
    logRecords(0, count);
    log.error(`${tag} last words`);
    process.kill(process.pid, 'SIGKILL');
    break;
  }
  case 'error-with-stack-then-sigkill': {
    logRecords(0, count);
    log.error(`${tag} failed`, new Error('disk on fire'));
    process.kill(process.pid, 'SIGKILL');
    break;
  }
  case 'memory': {
    const baseline = process.memoryUsage().rss;
    logRecords(0, count);
    session.flushSync();
    // maxRSS is in KiB and counts the whole life of the process.
    report({ baseline, peak: process.resourceUsage().maxRSS * 1024 });
    break;
  }
  case 'close': {
    logRecords(0, count);
    const closing = session.close();
    closing.then(() => report({ closed: true, dropped: session.dropped }));
    break;
  }
  case 'exit-while-closing': {
    // Bursts across ticks, then close() and, before it resolves, process.exit().
    logInBursts(1500, () => {
      void session.close();
      process.exit(3);
    });
    break;
  }
  case 'close-async': {
    // Bursts across ticks, so the stream's asynchronous writes meet the failure.
    logInBursts(100, () => void session.close().then(() => report({ closed: true, dropped: session.dropped })));
    break;
  }
  case 'ebadf': {
    // Something closes our log's fd behind our back; logging must go on, not throw.
    logRecords(0, count / 2);
    session.flushSync();
    const fd = fs.readdirSync('/proc/self/fd').map(Number).find((n) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${n}`) === session.filePath;
      } catch {
        return false;
      }
    });
    if (fd === undefined) throw new Error('the log file has no fd');
    fs.closeSync(fd);
    logRecords(count / 2, count);
    log.error(`${tag} after the fd was closed`);
    void session.close().then(() => report({ closed: true, dropped: session.dropped }));
    break;
  }
  default:
    throw new Error(`Unknown scenario: ${scenario}`);
}
