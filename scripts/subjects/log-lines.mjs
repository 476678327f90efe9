// One benchmark subject, in a process of its own: logs COUNT INFO records of
// the same message, closes, waits until every byte is in the file, and prints
// {"seconds": …, "maxRssKiB": …} on stdout. With --exit it calls
// process.exit(0) right after the last record instead, to see what lands.
//
//   node scripts/subjects/log-lines.mjs SUBJECT COUNT DIR [--exit]
//
// Each subject writes one file in DIR (which bench.ts creates empty), and
// bench.ts re-reads it afterwards: count, order, no duplicates.
// The clock starts before the logger is created and stops when everything is
// in the file (handed to the kernel; nobody here fsyncs, see pino below).
// Plain JavaScript, so the root type-check never sees pino or winston.
import fs from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

const [subject, countText, dir, mode] = process.argv.slice(2);
const count = Number(countText);
const exitAtOnce = mode === '--exit';
const file = `${dir}/out.log`;
// With a counter: "Executing command make build 123456", 80-odd bytes a line in text.
const MESSAGE = 'Executing command make build ';
// The floors write in batches of this many bytes.
const BATCH = 64 * 1024;

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

// Our text format's timestamp, Python's `YYYY-MM-DD HH:MM:SS,mmm` in local time.
function stamp(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
}

function writeAll(fd, buffer) {
  for (let offset = 0; offset < buffer.length;) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
}

function exitNowIfAsked() {
  if (exitAtOnce) process.exit(0);
}

// A floor's run: each line `head` + its number, appended to a string and
// written with fs.writeSync every 64 KiB. `makeHead` runs on the clock.
async function floorWith(makeHead) {
  const t0 = performance.now();
  const head = makeHead();
  const fd = fs.openSync(file, 'a', 0o600);
  let batch = '';
  for (let i = 0; i < count; i++) {
    batch += head + i + '\n';
    if (batch.length >= BATCH) {
      writeAll(fd, Buffer.from(batch));
      batch = '';
    }
  }
  if (batch !== '') writeAll(fd, Buffer.from(batch));
  exitNowIfAsked();
  fs.closeSync(fd);
  return performance.now() - t0;
}

const subjects = {
  // The floor: each line built with our text template (the timestamp is taken
  // once, so no clock reads and no logger), appended to a string and written
  // with fs.writeSync every 64 KiB. It pays building and encoding the text and
  // the write system calls, nothing else.
  floor: () => floorWith(() => `${stamp(new Date())} - automake - INFO - ${MESSAGE}`),

  // The floor with its head joined into one flat string (Array.join), as ours
  // joins its own: V8 then copies the head whole instead of walking the pieces
  // of a template for every line. Not what the targets use; shown beside them.
  'floor-flat': () => floorWith(() => [stamp(new Date()), ' - automake - INFO - ', MESSAGE].join('')),

  // The I/O-only floor: the same lines built into one Buffer before the clock
  // starts; timed are only the 64 KiB fs.writeSync calls. What the kernel and
  // disk allow, with no formatting at all.
  async 'floor-prebuilt'() {
    const head = `${stamp(new Date())} - automake - INFO - ${MESSAGE}`;
    const parts = [];
    for (let i = 0; i < count; i++) parts.push(head + i + '\n');
    const all = Buffer.from(parts.join(''));
    parts.length = 0;
    const t0 = performance.now();
    const fd = fs.openSync(file, 'a', 0o600);
    for (let offset = 0; offset < all.length; offset += BATCH) writeAll(fd, all.subarray(offset, offset + BATCH));
    exitNowIfAsked();
    fs.closeSync(fd);
    return performance.now() - t0;
  },

  'ours-text': () => ours('text'),
  'ours-json': () => ours('json'),
  // Redaction (design §8) is on in the two above; this one turns it off, to show its cost.
  'ours-text-unredacted': () => ours('text', { redact: false }),
  // One record in 100 holds a secret, in turn one of these; redaction on.
  'ours-text-secrets': () => ours('text', {}, SECRETS),
  'pino-async': () => pinoSubject(false),
  'pino-sync': () => pinoSubject(true),

  // winston's File transport, with a printf format that gives our text line.
  async winston() {
    const { default: winston } = await import('winston');
    const { combine, timestamp, printf } = winston.format;
    const t0 = performance.now();
    const transport = new winston.transports.File({ filename: file });
    const logger = winston.createLogger({
      level: 'info',
      format: combine(
        timestamp({ format: 'YYYY-MM-DD HH:mm:ss,SSS' }),
        printf((info) => `${info.timestamp} - automake - ${info.level.toUpperCase()} - ${info.message}`),
      ),
      transports: [transport],
    });
    for (let i = 0; i < count; i++) logger.info(MESSAGE + i);
    exitNowIfAsked();
    // The transport finishes once its file stream has written everything.
    const finished = once(transport, 'finish');
    logger.end();
    await finished;
    return performance.now() - t0;
  },
};

// Secrets a command line or its output may show; each is replaced by [REDACTED].
const SECRETS = [
  ' --token=abc123def456',
  ' OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345',
  " -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'",
  ' https://deploy:hunter2@git.example.com/repo.git',
];

// lib/logging.ts, compiled to JavaScript by bench.ts (the module tsx would run).
async function ours(format, options = {}, secrets = []) {
  const { initLogging } = await import(process.env.BENCH_LOGGING_MODULE);
  const t0 = performance.now();
  // No size limits: every contender writes all the records, whatever the disk.
  const session = initLogging({ dir, format, level: 'INFO', maxSessionBytes: Infinity, maxTotalBytes: Infinity, minFreeBytes: 0, ...options });
  const logger = session.logger;
  if (secrets.length === 0) {
    for (let i = 0; i < count; i++) logger.info(MESSAGE + i);
  } else {
    for (let i = 0; i < count; i++) logger.info(i % 100 === 99 ? MESSAGE + i + secrets[(i / 100) % secrets.length | 0] : MESSAGE + i);
  }
  exitNowIfAsked();
  await session.close();
  return performance.now() - t0;
}

// pino with its own file destination (sonic-boom), as pino's docs show it.
async function pinoSubject(sync) {
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
  const destination = pino.destination({ dest: file, sync });
  const logger = pino(destination);
  for (let i = 0; i < count; i++) logger.info(MESSAGE + i);
  exitNowIfAsked();
  const closed = once(destination, 'close');
  destination.end();
  await closed;
  return (Number.isNaN(written) ? performance.now() : written) - t0;
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
  process.stderr.write(`usage: node log-lines.mjs (${Object.keys(subjects).join('|')}) COUNT DIR [--exit]\n`);
  process.exit(2);
}
const ms = await run();
process.stdout.write(JSON.stringify({ seconds: ms / 1000, maxRssKiB: peakRssKiB() }) + '\n');
