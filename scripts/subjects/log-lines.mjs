// One benchmark subject, in a process of its own: logs COUNT INFO records of a
// corpus (scripts/corpus.ts), closes, waits until every byte is in the file,
// and prints {"seconds": …, "maxRssKiB": …} on stdout. With --exit it calls
// process.exit(0) right after the last record instead, to see what lands.
//
//   node scripts/subjects/log-lines.mjs SUBJECT CORPUS COUNT DIR [--exit]
//
// BENCH_LOGGING_MODULE and BENCH_CORPUS_MODULE name lib/logging.ts (or the core
// given with --core) and scripts/corpus.ts, compiled to JavaScript by bench.ts.
// Record i is record i % POOL of the corpus: a pool made before the clock
// starts, so that neither making records nor holding a million of them is
// measured. Each subject writes one file in DIR (which bench.ts creates empty),
// and bench.ts re-reads it afterwards: count and order.
// Plain JavaScript, so the root type-check never sees pino.
import fs from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

const [subject, corpusName, countText, dir, mode] = process.argv.slice(2);
const count = Number(countText);
const exitAtOnce = mode === '--exit';
const file = `${dir}/out.log`;
const { makeCorpus, POOL_SIZE: POOL } = await import(process.env.BENCH_CORPUS_MODULE);
// The floor writes in batches of this many bytes.
const BATCH = 64 * 1024;

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

// Our text format's timestamp, Python's `YYYY-MM-DD HH:MM:SS,mmm` in local time.
function stamp(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
}

// A string goes to writeSync as it is: Buffer.from first would copy every batch once more.
function writeAll(fd, text) {
  const written = fs.writeSync(fd, text);
  if (written === Buffer.byteLength(text)) return;
  const buffer = Buffer.from(text);
  for (let offset = written; offset < buffer.length;) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
}

function exitNowIfAsked() {
  if (exitAtOnce) process.exit(0);
}

// Extra fields as our text format writes them: ` key=value`, quoted when needed.
function quoteIfNeeded(text) {
  return text === '' || /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}
function formatFields(fields) {
  let text = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    text += ' ' + key + '=' + quoteIfNeeded(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return text;
}

const subjects = {
  // The floor: each line built with our text format (the timestamp taken once,
  // no redaction, no level check), appended to a string and written with
  // fs.writeSync every 64 KiB. What any logger of these lines must pay.
  async floor(records) {
    const t0 = performance.now();
    const head = `${stamp(new Date())} - automake - INFO - `;
    const fd = fs.openSync(file, 'a', 0o600);
    let batch = '';
    for (let i = 0; i < count; i++) {
      const { message, fields } = records[i % POOL];
      batch += head + (message.includes('\n') ? message.replaceAll('\n', '\n    ') : message) + (fields ? formatFields(fields) : '') + '\n';
      if (batch.length >= BATCH) {
        writeAll(fd, batch);
        batch = '';
      }
    }
    if (batch !== '') writeAll(fd, batch);
    exitNowIfAsked();
    fs.closeSync(fd);
    return performance.now() - t0;
  },
  'ours-text': (records) => ours(records, 'text'),
  'ours-json': (records) => ours(records, 'json'),
  'ours-text-unredacted': (records) => ours(records, 'text', { redact: false }),
  // pino with its own file destination (sonic-boom), as pino's docs show it.
  async 'pino-async'(records) {
    const { default: pino } = await import('pino');
    // sonic-boom's end() fsyncs before closing; no other subject fsyncs. Its first
    // fsync call comes once every byte is written, so that is where the clock
    // stops: the same point as the others. The fsync itself still runs.
    let written = NaN;
    const fsync = fs.fsync;
    fs.fsync = function timedFsync(...args) {
      if (Number.isNaN(written)) written = performance.now();
      return fsync.apply(this, args);
    };
    const t0 = performance.now();
    const destination = pino.destination({ dest: file, sync: false });
    const logger = pino(destination);
    for (let i = 0; i < count; i++) {
      const { message, fields } = records[i % POOL];
      if (fields) logger.info(fields, message);
      else logger.info(message);
    }
    exitNowIfAsked();
    const closed = once(destination, 'close');
    destination.end();
    await closed;
    return (Number.isNaN(written) ? performance.now() : written) - t0;
  },
};

async function ours(records, format, options = {}) {
  const { initLogging } = await import(process.env.BENCH_LOGGING_MODULE);
  const t0 = performance.now();
  // No size limits: every contender writes all the records, whatever the disk.
  const session = initLogging({ dir, format, level: 'INFO', maxSessionBytes: Infinity, maxTotalBytes: Infinity, minFreeBytes: 0, ...options });
  const logger = session.logger;
  for (let i = 0; i < count; i++) {
    const { message, fields } = records[i % POOL];
    logger.info(message, fields);
  }
  exitNowIfAsked();
  await session.close();
  return performance.now() - t0;
}

// Peak RSS of this process. Linux carries getrusage's maxRSS over exec, so a
// child forked from a big parent would report the parent's size: read the
// high-water mark of our own address space instead where there is one.
function peakRssKiB() {
  try {
    const match = /^VmHWM:\s*(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match !== null) return Number(match[1]);
  } catch {
    // Not Linux: getrusage is the best there is.
  }
  return process.resourceUsage().maxRSS;
}

const run = subjects[subject];
if (run === undefined || !(count > 0) || !dir) {
  process.stderr.write(`usage: node log-lines.mjs (${Object.keys(subjects).join('|')}) CORPUS COUNT DIR [--exit]\n`);
  process.exit(2);
}
const records = makeCorpus(corpusName, Math.min(count, POOL));
const ms = await run(records);
process.stdout.write(JSON.stringify({ seconds: ms / 1000, maxRssKiB: peakRssKiB() }) + '\n');
