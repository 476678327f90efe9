/**
 * Ships session logs with the real Debian daemons, configured from contrib/ the way a
 * user points them (syslog-ng: the @define values; rsyslog: environment variables),
 * each as a client that tails a log directory and a central collector, on 127.0.0.1.
 *
 * syslog-ng comes from the system (`.ci/run` installs syslog-ng-core). rsyslog
 * conflicts with it in Debian, so it is unpacked from its .deb (and those of its
 * libraries the system lacks) into a scratch directory kept per version, and run from
 * there. Either test skips, saying why, only when its daemon cannot be had at all.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';

const ROOT = new URL('../', import.meta.url).pathname;
const SESSION = join(ROOT, 'tests/fixtures/ship-session.ts');
const DELIVERY_DEADLINE_MS = 30_000;

// ---------------------------------------------------------------------------
// Processes

interface Daemon {
  pid: number;
  /** A clean stop: SIGTERM, then wait for the process to exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** What the process printed, for failure messages. */
  output(): string;
}

function startDaemon(t: TestContext, command: string, args: string[], env: Record<string, string> = {}): Daemon {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => (output += data));
  child.stderr.setEncoding('utf8').on('data', (data: string) => (output += data));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };
  t.after(stop);
  return { pid: child.pid!, stop, output: () => `${command} ${args.join(' ')}\n${output}` };
}

/** A session child (tests/fixtures/ship-session.ts): each batch() logs one batch and resolves once it is in the file. */
interface Session {
  batch(tag: string): Promise<void>;
  /** Ends the session; resolves with its log file's path once the process has exited. */
  end(): Promise<string>;
}

function openSession(t: TestContext, dir: string, format: 'text' | 'json'): Session {
  const child = spawn(process.execPath, ['--import', 'tsx', SESSION, dir], {
    cwd: ROOT,
    env: { ...process.env, AUTOMAKE_LOG_FORMAT: format },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let stdout = '';
  const waiting: Array<{ line: string; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    for (const wait of waiting.splice(0)) {
      if (stdout.includes(`${wait.line}\n`)) wait.resolve();
      else waiting.push(wait);
    }
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    batch(tag) {
      const done = new Promise<void>((resolve) => waiting.push({ line: `logged ${tag}`, resolve }));
      child.stdin.write(`${tag}\n`);
      return done;
    },
    async end() {
      child.stdin.end();
      const code = await exit;
      assert.equal(code, 0, `session ${child.pid} exited with ${code}`);
      return join(dir, readdirSync(dir).find((name) => name.endsWith(`_${child.pid}.log`))!);
    },
  };
}

async function runSession(t: TestContext, dir: string, format: 'text' | 'json', tags: string[]): Promise<string> {
  const session = openSession(t, dir, format);
  for (const tag of tags) await session.batch(tag);
  return session.end();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(what: string, check: () => string | undefined, deadlineMs = DELIVERY_DEADLINE_MS): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const problem = check();
    if (problem === undefined) return;
    if (Date.now() > end) assert.fail(`${what} within ${deadlineMs / 1000} s: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
    socket.on('error', () => resolve(false));
  });
}

async function waitForListener(port: number, daemon: Daemon): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (Date.now() > end) assert.fail(`the central collector never listened on port ${port}:\n${daemon.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------------------
// The two shippers, pointed at a directory and a collector as their README says

interface Shipper {
  /**
   * Whether records written just before their file is deleted still go out. rsyslog's
   * imfile reads a deleted file to its end; syslog-ng 3.38 drops what it has not read
   * yet (and a last record held back for multi-line-timeout()), so for it the test
   * deletes files only once they have been delivered, as the pruner does (days later).
   */
  readsDeletedFileToEnd: boolean;
  startCentral(t: TestContext, state: string, port: number, outDir: string): Daemon;
  startClient(t: TestContext, state: string, port: number, logDir: string, collector?: string): Daemon;
}

/** A syslog-ng configuration with its @define values set; every name must be defined there. */
function pointSyslogNg(file: string, values: Record<string, string>): string {
  let text = readFileSync(join(ROOT, 'contrib/syslog-ng', file), 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const line = new RegExp(`^@define ${name} .*$`, 'm');
    assert.match(text, line, `contrib/syslog-ng/${file} has no @define ${name}`);
    text = text.replace(line, `@define ${name} "${value}"`);
  }
  return text;
}

function syslogNg(): Shipper | string {
  const found = spawnSync('syslog-ng', ['--version'], { encoding: 'utf8' });
  if (found.error) return 'syslog-ng is not installed (apt-get install syslog-ng-core; .ci/run does)';
  const start = (t: TestContext, state: string, config: string): Daemon => {
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'syslog-ng.conf'), config);
    const files = ['syslog-ng.conf', 'syslog-ng.pid', 'syslog-ng.ctl', 'syslog-ng.persist'].map((name) => join(state, name));
    return startDaemon(t, 'syslog-ng', ['-F', '-f', files[0], '-p', files[1], '-c', files[2], '-R', files[3]]);
  };
  return {
    readsDeletedFileToEnd: false,
    startCentral: (t, state, port, outDir) =>
      start(t, state, pointSyslogNg('automake-central.conf', { COLLECTOR_HOST: '127.0.0.1', COLLECTOR_PORT: String(port), AUTOMAKE_CENTRAL_DIR: outDir })),
    startClient: (t, state, port, logDir, collector = '127.0.0.1') =>
      start(t, state, pointSyslogNg('automake-client.conf', { AUTOMAKE_LOG_DIR: logDir, COLLECTOR_HOST: collector, COLLECTOR_PORT: String(port) })),
  };
}

/**
 * rsyslogd unpacked from Debian's packages into `${tmpdir}/automake-rsyslog-<version>`
 * (with those of its libraries this system lacks), reused by later runs.
 */
function unpackedRsyslog(): { root: string; version: string } | string {
  const apt = spawnSync('apt-cache', ['show', '--no-all-versions', 'rsyslog'], { encoding: 'utf8' });
  if (apt.error || apt.status !== 0) return `apt-cache cannot show rsyslog (${apt.error?.message ?? apt.stderr.trim()}): no apt, or no package lists (apt-get update)`;
  const version = /^Version: (\S+)$/m.exec(apt.stdout)?.[1];
  if (version === undefined) return 'apt-cache show rsyslog gave no version';
  const root = join(tmpdir(), `automake-rsyslog-${version.replace(/[^\w.+-]/g, '_')}`);
  if (existsSync(join(root, 'usr/sbin/rsyslogd'))) return { root, version };

  // rsyslog's own libraries that are not installed here (liblognorm5, libestr0, libfastjson4 on a bare Debian).
  const packages = new Set(['rsyslog']);
  const queue = ['rsyslog'];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const depends = spawnSync('apt-cache', ['depends', '--no-recommends', '--no-suggests', '--no-enhances', '--no-breaks', '--no-conflicts', '--no-replaces', name], { encoding: 'utf8' });
    for (const [, dep] of depends.stdout.matchAll(/^\s+(?:\|)?Depends: ([^\s<>]+)$/gm)) {
      if (packages.has(dep) || spawnSync('dpkg', ['-s', dep], { stdio: 'ignore' }).status === 0) continue;
      packages.add(dep);
      queue.push(dep);
    }
  }
  const scratch = mkdtempSync(`${root}.partial-`);
  try {
    spawnSync('chmod', ['0777', scratch]); // apt downloads as the _apt user where it can
    const download = spawnSync('apt-get', ['download', ...packages], { cwd: scratch, encoding: 'utf8' });
    if (download.error || download.status !== 0) {
      return `apt-get download ${[...packages].join(' ')} failed (no network to the Debian mirror?): ${download.error?.message ?? download.stderr.trim()}`;
    }
    const unpacked = join(scratch, 'root');
    for (const deb of readdirSync(scratch).filter((name) => name.endsWith('.deb'))) {
      const x = spawnSync('dpkg', ['-x', join(scratch, deb), unpacked], { encoding: 'utf8' });
      if (x.status !== 0) throw new Error(`dpkg -x ${deb} failed: ${x.stderr}`);
    }
    renameSync(unpacked, root);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return { root, version };
}

function rsyslog(): Shipper | string {
  const unpacked = unpackedRsyslog();
  if (typeof unpacked === 'string') return unpacked;
  const libs = join(unpacked.root, 'usr/lib/x86_64-linux-gnu');
  const modules = readdirSync(join(unpacked.root, 'usr/lib'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('rsyslog/imfile.so'))
    .map((path) => join(unpacked.root, 'usr/lib', path, '..'))[0];
  if (modules === undefined) return `no rsyslog modules found in ${unpacked.root}`;
  const start = (t: TestContext, state: string, file: string, env: Record<string, string>): Daemon => {
    mkdirSync(state, { recursive: true });
    // Debian's rsyslog.conf sets the work directory; here the test's own state directory does.
    const config = join(state, 'rsyslog.conf');
    writeFileSync(config, `global(workDirectory="${state}")\ninclude(file="${join(ROOT, 'contrib/rsyslog', file)}")\n`);
    return startDaemon(t, join(unpacked.root, 'usr/sbin/rsyslogd'), ['-n', '-f', config, '-i', join(state, 'rsyslogd.pid'), '-M', modules], {
      ...env,
      LD_LIBRARY_PATH: [libs, join(unpacked.root, 'lib/x86_64-linux-gnu')].join(':'),
    });
  };
  return {
    readsDeletedFileToEnd: true,
    startCentral: (t, state, port, outDir) =>
      start(t, state, 'automake-central.conf', { COLLECTOR_HOST: '127.0.0.1', COLLECTOR_PORT: String(port), AUTOMAKE_CENTRAL_DIR: outDir }),
    startClient: (t, state, port, logDir, collector = '127.0.0.1') =>
      start(t, state, 'automake-client.conf', { AUTOMAKE_LOG_DIR: logDir, COLLECTOR_HOST: collector, COLLECTOR_PORT: String(port) }),
  };
}

// ---------------------------------------------------------------------------
// What arrived

/** A log's records: a line that does not start with four spaces starts one. */
function records(text: string): string[] {
  return text.split(/\n(?! {4})/).filter((record) => record !== '');
}

/** Undefined when the central copy of every session equals its file; else what differs. */
function difference(expected: Map<string, string>, outDir: string): string | undefined {
  const entries = existsSync(outDir) ? readdirSync(outDir) : [];
  if (entries.includes('unattributed.log')) return `messages without a session file arrived:\n${readFileSync(join(outDir, 'unattributed.log'), 'utf8').slice(0, 2000)}`;
  if (entries.length > 1) return `more than one host directory: ${entries.join(', ')}`;
  const hostDir = entries.length === 1 ? join(outDir, entries[0]) : undefined;
  const arrived = new Set(hostDir === undefined ? [] : readdirSync(hostDir));
  const problems: string[] = [];
  for (const name of arrived) if (!expected.has(name)) problems.push(`${name} arrived but is no session of this test`);
  for (const [name, text] of expected) {
    const got = arrived.has(name) ? readFileSync(join(hostDir!, name), 'utf8') : '';
    if (got === text) continue;
    const want = records(text);
    const have = records(got);
    const first = want.findIndex((record, i) => have[i] !== record);
    problems.push(
      `${name}: ${have.length} of ${want.length} records arrived` +
        (first >= 0 && first < have.length ? `; record ${first + 1} differs:\n  sent:    ${JSON.stringify(want[first])}\n  arrived: ${JSON.stringify(have[first])}` : '') +
        (have.length > want.length ? `; extra: ${JSON.stringify(have.slice(want.length, want.length + 2))}` : ''),
    );
  }
  return problems.length === 0 ? undefined : problems.join('\n');
}

// ---------------------------------------------------------------------------
// The scenario both shippers must pass

async function everyRecordOnceWholeAndAttributed(t: TestContext, shipper: Shipper): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'automake-ship-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const logs = join(work, 'logs');
  const out = join(work, 'central');
  mkdirSync(logs);
  const port = await freePort();
  const central = shipper.startCentral(t, join(work, 'central-state'), port, out);
  await waitForListener(port, central);

  const sent = new Map<string, string>();
  const remember = (file: string): void => void sent.set(basename(file), readFileSync(file, 'utf8'));
  const delivered = async (what: string): Promise<void> => {
    for (const file of readdirSync(logs)) remember(join(logs, file));
    await waitFor(`${what}: every record once, whole, in its session's file`, () => {
      const problem = difference(sent, out);
      return problem === undefined ? undefined : `${problem}\n--- client and central said:\n${client.output()}\n${central.output()}`;
    });
  };

  // A session that ended before the shipper started is shipped from its start.
  await runSession(t, logs, 'text', ['before']);
  const clientState = join(work, 'client-state');
  let client = shipper.startClient(t, clientState, port, logs);

  // Sessions that start while it runs, at once, in both formats; two stay open
  // across the restart below.
  const open = [openSession(t, logs, 'text'), openSession(t, logs, 'json')];
  const ended = await Promise.all([
    runSession(t, logs, 'text', ['a1', 'a2']),
    runSession(t, logs, 'json', ['b1', 'b2']),
    runSession(t, logs, 'text', ['c1']),
    ...open.map((session) => session.batch('1').then(() => '')),
  ]);
  await delivered('concurrent sessions');

  // Pruned after the shipper read it: the collector keeps all of it, and nothing of
  // it comes again.
  unlinkSync(ended[0]);
  // Deleted as soon as it ends, once the shipper has begun to read it: its last
  // records may still wait in the shipper.
  const quick = openSession(t, logs, 'json');
  await quick.batch('q1');
  const quickName = readdirSync(logs).find((name) => !sent.has(name))!;
  await waitFor('the first record of a new session', () => (existsSync(join(out, readdirSync(out)[0] ?? '-', quickName)) ? undefined : 'none arrived'));
  await quick.batch('q2');
  const quickFile = await quick.end();
  if (shipper.readsDeletedFileToEnd) {
    remember(quickFile);
    unlinkSync(quickFile);
  }
  await delivered('after files were pruned');

  // A clean stop and start: records written meanwhile come once, none twice.
  await client.stop();
  await Promise.all([...open.map((session) => session.batch('2')), runSession(t, logs, 'json', ['while-stopped'])]);
  client = shipper.startClient(t, clientState, port, logs);
  await Promise.all(open.map((session) => session.batch('3')));
  await Promise.all(open.map((session) => session.end()));
  await delivered('after the shipper was stopped and started again');

  // And a session after all that, so that a late repeat would have had time to show.
  await runSession(t, logs, 'text', ['last']);
  await delivered('after one more session');
  assert.equal(sent.size, 9, `sessions shipped: ${[...sent.keys()].join(', ')}`);
}

// ---------------------------------------------------------------------------
// What goes over the wire, read by a listener of our own

interface Frame {
  severity: number;
  appName: string;
  procId: string;
  structuredData: string;
  message: string;
}

/** An RFC 6587 octet-counted stream of RFC 5424 messages; fails on anything else. */
function parseFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    const space = buffer.indexOf(0x20, at);
    if (space < 0) break;
    const length = buffer.subarray(at, space).toString('latin1');
    assert.match(length, /^[1-9]\d*$/, `not octet-counted framing at byte ${at}: ${JSON.stringify(buffer.subarray(at, at + 60).toString())}`);
    const end = space + 1 + Number(length);
    if (end > buffer.length) break;
    const text = buffer.subarray(space + 1, end).toString('utf8');
    const header = /^<(\d+)>1 \S+ \S+ (\S+) (\S+) \S+ (-|(?:\[(?:[^\]"\\]|"(?:[^"\\]|\\.)*")*\])+) ([\s\S]*)$/.exec(text);
    assert.ok(header, `not an RFC 5424 message: ${JSON.stringify(text.slice(0, 200))}`);
    frames.push({ severity: Number(header[1]) % 8, appName: header[2], procId: header[3], structuredData: header[4], message: header[5] });
    at = end;
  }
  return { frames, rest: buffer.subarray(at) };
}

const SEVERITY_OF: Record<string, number> = { DEBUG: 7, INFO: 6, WARNING: 4, ERROR: 3, CRITICAL: 2, 20: 7, 30: 6, 40: 4, 50: 3, 60: 2 };

async function sendsOctetCountedRfc5424(t: TestContext, shipper: Shipper): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'automake-ship-wire-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const logs = join(work, 'logs');
  mkdirSync(logs);
  const frames: Frame[] = [];
  const server = createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      const parsed = parseFrames(Buffer.concat([pending, data]));
      frames.push(...parsed.frames);
      pending = parsed.rest;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => void server.close());
  const port = (server.address() as { port: number }).port;
  const files = [await runSession(t, logs, 'text', ['w']), await runSession(t, logs, 'json', ['w'])];
  const client = shipper.startClient(t, join(work, 'client-state'), port, logs);

  for (const file of files) {
    const name = basename(file);
    const want = records(readFileSync(file, 'utf8'));
    const mine = (): Frame[] => frames.filter((frame) => frame.structuredData.includes(`[automake@32473 file="${name}"]`));
    await waitFor(`${want.length} messages for ${name}`, () =>
      mine().length >= want.length ? undefined : `${mine().length} arrived\n${client.output()}`,
    );
    // syslog-ng ends some messages with the record's line feed; a collector drops it.
    assert.deepEqual(mine().map((frame) => frame.message.replace(/\n$/, '')), want, `${name}: each message is one whole record, in order`);
    for (const frame of mine()) {
      assert.equal(frame.appName, 'automake');
      assert.equal(frame.procId, /_(\d+)\.log$/.exec(name)![1], 'PROCID is the session PID');
      const level = /^\{/.test(frame.message) ? String(JSON.parse(frame.message).level) : / - ([A-Z]+) - /.exec(frame.message)![1];
      assert.equal(frame.severity, SEVERITY_OF[level], `severity of a ${level} record: ${frame.message.slice(0, 80)}`);
    }
  }
  assert.equal(frames.length, files.reduce((sum, file) => sum + records(readFileSync(file, 'utf8')).length, 0), 'no other messages');
}

// ---------------------------------------------------------------------------

// The two shippers wait on timeouts and polls far more than they compute: run them side by side.
describe('shipping with the real daemons', { concurrency: 2 }, () => {
  for (const [name, find] of [
    ['syslog-ng', syslogNg],
    ['rsyslog', rsyslog],
  ] as const) {
    describe(`${name} (contrib/${name})`, () => {
      const shipper = find();
      const skip = typeof shipper === 'string' ? `${name} cannot run here: ${shipper}` : false;
      test('ships every record of concurrent text and JSON sessions once, whole and in its session file, across pruning and a restart', { skip }, (t) =>
        everyRecordOnceWholeAndAttributed(t, shipper as Shipper),
      );
      test('sends each record as one RFC 5424 message, octet-counted, with the session PID, file and the level as severity', { skip }, (t) =>
        sendsOctetCountedRfc5424(t, shipper as Shipper),
      );
    });
  }
});
