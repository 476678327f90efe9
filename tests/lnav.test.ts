/**
 * contrib/lnav/automake.json, installed with `lnav -i` into a temporary HOME and read
 * by the real lnav (Debian's; `.ci/run` installs it) in headless mode (`lnav -n`),
 * against the files real sessions wrote. Skips, saying why, where lnav is missing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

const ROOT = new URL('../', import.meta.url).pathname;
const SESSION = join(ROOT, 'tests/fixtures/ship-session.ts');
const FORMAT = join(ROOT, 'contrib/lnav/automake.json');

const version = spawnSync('lnav', ['-V'], { encoding: 'utf8' });
const skip = version.error ? `lnav is not installed (apt-get install lnav; .ci/run does): ${version.error.message}` : false;

/** Writes one session's log (one batch of the fixture's records) and returns its path. */
function writeSession(dir: string, format: 'text' | 'json'): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', SESSION, dir], {
    cwd: ROOT,
    env: { ...process.env, AUTOMAKE_LOG_FORMAT: format },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  child.stdin.end('one\n');
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`session exited with ${code}`));
      resolve(join(dir, readdirSync(dir).find((name) => name.endsWith(`_${child.pid}.log`))!));
    }),
  );
}

describe(`lnav (${version.stdout?.trim() || 'missing'}) with contrib/lnav/automake.json`, { skip }, () => {
  let home = '';
  let textLog = '';
  let jsonLog = '';

  /** Runs an SQL query in headless lnav over `file`; returns the rows. */
  function query(file: string, sql: string): Array<Record<string, unknown>> {
    const run = spawnSync('lnav', ['-n', '-c', `;${sql}`, '-c', ':write-json-to -', file], {
      encoding: 'utf8',
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') },
    });
    assert.equal(run.status, 0, `lnav failed: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /error/, `lnav said: ${run.stderr}`);
    return JSON.parse(run.stdout) as Array<Record<string, unknown>>;
  }

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'automake-lnav-home-'));
    const logs = mkdtempSync(join(tmpdir(), 'automake-lnav-logs-'));
    const install = spawnSync('lnav', ['-i', FORMAT], { encoding: 'utf8', env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config') } });
    assert.equal(install.status, 0, `lnav -i failed: ${install.stdout}${install.stderr}`);
    [textLog, jsonLog] = await Promise.all([writeSession(logs, 'text'), writeSession(logs, 'json')]);
    process.on('exit', () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(logs, { recursive: true, force: true });
    });
  });

  test('every record of a text log is one row whose level is its level field, continuation lines and all', () => {
    // What was written: a record starts at a line that is not indented.
    const written = readFileSync(textLog, 'utf8')
      .split(/\n(?! {4})/)
      .filter((record) => record !== '')
      .map((record) => ({ level: / - ([A-Z]+) - /.exec(record)![1].toLowerCase(), logger: / - (\S+) - [A-Z]+ - /.exec(record)![1], record }));
    const rows = query(textLog, 'SELECT log_level, logger, log_body FROM automake_log');
    assert.equal(rows.length, written.length, 'one row per record: continuation lines are folded into theirs');
    assert.deepEqual(
      rows.map((row) => [row.logger, row.log_level]),
      written.map((record) => [record.logger, record.level]),
    );
    // The cases lnav's guessing got wrong: a WARNING of automake.exec.stderr, an INFO line that says "error".
    const stderr = rows.find((row) => row.logger === 'automake.exec.stderr')!;
    const stdout = rows.find((row) => row.logger === 'automake.exec.stdout')!;
    assert.equal(stderr.log_level, 'warning');
    assert.match(String(stdout.log_body), /error/);
    assert.equal(stdout.log_level, 'info');
    const failed = rows.find((row) => String(row.log_body).startsWith('Build failed'))!;
    assert.equal(failed.log_level, 'error');
    assert.match(String(failed.log_body), /\n {4}Caused by: Error: disk quota exceeded/, 'the stack is part of its record');
    // lnav's own count per level (its log_level sorts by severity, so compare as a map).
    const counts = query(textLog, 'SELECT log_level, count(*) AS n FROM automake_log GROUP BY log_level');
    const expected = new Map<string, number>();
    for (const record of written) expected.set(record.level, (expected.get(record.level) ?? 0) + 1);
    assert.deepEqual(new Map(counts.map((row) => [row.log_level, row.n])), expected);
  });

  test('extra key=value fields of a text record can be queried with SQL', () => {
    const rows = query(
      textLog,
      "SELECT regexp_match(' n=(\\d+)', log_body) AS n, jget(logfmt2json(log_body), '/user') AS user FROM automake_log WHERE log_body LIKE 'step %' ORDER BY n",
    );
    assert.deepEqual(
      rows,
      Array.from({ length: 20 }, (_, n) => ({ n, user: 'ada lovelace' })),
    );
  });

  test('a JSON-lines log: one row per record, its level from the numeric level field, extra fields queryable', () => {
    const lines = readFileSync(jsonLog, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { level: number; name: string; msg: string });
    const names: Record<number, string> = { 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'critical' };
    const rows = query(jsonLog, "SELECT log_level, name, jget(log_raw_text, '/batch') AS batch FROM automake_json_log");
    assert.deepEqual(
      rows.map((row) => [row.name, row.log_level]),
      lines.map((line) => [line.name, names[line.level]]),
    );
    assert.deepEqual(
      rows.map((row) => row.batch),
      lines.map((line) => (line.msg.startsWith('step ') ? 'one' : null)),
    );
  });
});
