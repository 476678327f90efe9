// Latency subject: prints COUNT lines of FILE (build output), BURST lines every
// millisecond or so, each led by the time it was printed (milliseconds since the
// epoch, to the microsecond), so that a reader can tell how long each line took
// to reach it. About 40,000 lines a second: a busy build, which the log of
// `exec` must keep up with while the terminal still gets every line at once.
//
//   node scripts/subjects/timed-lines.mjs FILE COUNT
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

const [file, countText] = process.argv.slice(2);
const count = Number(countText);
const BURST = 50;
const lines = fs.readFileSync(file, 'utf8').split('\n', count);

let next = 0;
function burst() {
  const now = (performance.timeOrigin + performance.now()).toFixed(3);
  let text = '';
  for (const end = Math.min(next + BURST, count); next < end; next++) text += `${now} ${lines[next % lines.length]}\n`;
  // A pipe that is full slows the printing down, as it would a real command; that wait is in the figures.
  const flushed = process.stdout.write(text);
  if (next >= count) return;
  if (flushed) setTimeout(burst, 1);
  else process.stdout.once('drain', burst);
}
burst();
