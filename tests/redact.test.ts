/**
 * Redaction (docs/design.md §8): secrets never reach the file. Each rule and token
 * format is proved in text and in JSON records; ordinary records stay as they
 * were; the pre-check that lets most chunks skip the rules is proved never to
 * let a secret through, with generated records in many places and casings.
 * Tests share the module's single session: each one closes its own.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test, type TestContext } from 'node:test';

import { redactText, resolveSettings, type LoggingOptions, type LogSession } from '../lib/logging.ts';
import { fixture, runNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { withSession } from './helpers/session.ts';

const R = '[REDACTED]';

/**
 * Opens a session in a fresh directory with no environment, runs `fn`, closes it,
 * and returns the text of the records `fn` logged (between the session's header
 * and end records).
 */
async function logTo(t: TestContext, options: LoggingOptions, fn: (session: LogSession) => void): Promise<string> {
  const lines = bodyLines(fileLines(await withSession({ dir: tempDir(t), env: {}, ...options }, fn)));
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

/** The message of a text record line, after `<LEVEL> - `. */
function textMessage(line: string): string {
  return line.replace(/^.*? - (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) - /, '');
}

/** Logs one message in text and in JSON; returns what each file holds as the message. */
async function messageAsLogged(t: TestContext, message: string, options: LoggingOptions = {}): Promise<{ text: string; json: string }> {
  const text = await logTo(t, { ...options, format: 'text' }, (s) => s.logger.info(message));
  const json = await logTo(t, { ...options, format: 'json' }, (s) => s.logger.info(message));
  const record = JSON.parse(json.trimEnd()) as { msg: string };
  // A text record indents continuation lines; undo that to compare with the message.
  return { text: textMessage(text.slice(0, -1)).replaceAll('\n    ', '\n'), json: record.msg };
}

// Each rule of §8 rule 2 and each token format: the input and what must be left of it.
const GH = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const TEXT_RULES: { rule: string; input: string; expected: string }[] = [
  { rule: 'key=value', input: 'export DB_PASSWORD=hunter2 next', expected: `export DB_PASSWORD=${R} next` },
  { rule: 'key: value', input: 'password: hunter2 (from config)', expected: `password: ${R} (from config)` },
  { rule: '"key": "value"', input: '{"api_key": "abc 123", "user": "bob"}', expected: `{"api_key": "${R}", "user": "bob"}` },
  { rule: '"key":"value" (compact JSON)', input: 'body {"token":"abc123","n":1}', expected: `body {"token":"${R}","n":1}` },
  { rule: '"key": {…} (an object: its own keys are looked at)', input: '{"auth": {"user": "u", "password": "p1"}}', expected: `{"auth": {"user": "u", "password": "${R}"}}` },
  { rule: "'key': 'value' (a Python dict)", input: "{'secret': 'xyz', 'a': 1}", expected: `{'secret': '${R}', 'a': 1}` },
  { rule: '--key=value', input: 'deploy --token=abc123 --verbose', expected: `deploy --token=${R} --verbose` },
  { rule: '--key value', input: 'mysql --password hunter2 --user bob', expected: `mysql --password ${R} --user bob` },
  { rule: 'a quoted value keeps its quotes', input: 'AUTH_TOKEN="a b c" done', expected: `AUTH_TOKEN="${R}" done` },
  { rule: 'a query string', input: 'GET /cb?access_token=abc123&state=ok', expected: `GET /cb?access_token=${R}&state=ok` },
  { rule: 'Authorization: Bearer', input: "curl -H 'Authorization: Bearer abc.def-123'", expected: `curl -H 'Authorization: Bearer ${R}'` },
  { rule: 'Authorization: Basic', input: 'Authorization: Basic dXNlcjpwYXNz', expected: `Authorization: Basic ${R}` },
  { rule: 'authorization: bearer (any case)', input: 'authorization: bearer abc123', expected: `authorization: bearer ${R}` },
  { rule: 'a bare Bearer', input: 'sent Bearer abc123xyz to the API', expected: `sent Bearer ${R} to the API` },
  { rule: 'a URL password', input: 'git clone https://deploy:s3cr3t@git.example.com/r.git', expected: `git clone https://deploy:${R}@git.example.com/r.git` },
  { rule: 'mysql -p<password>', input: 'mysql -u root -pHunter2 shop', expected: `mysql -u root -p${R} shop` },
  { rule: 'sk- API key', input: 'OPENAI key sk-proj-abcdefghijklmnopqrstuvwxyz0123', expected: `OPENAI key ${R}` },
  { rule: 'GitHub ghp_', input: `token ${GH} ok`, expected: `token ${R} ok` },
  { rule: 'GitHub gho_/ghu_/ghs_/ghr_', input: 'gho_abcdefghijklmnopqrstuvwxyz0123 ghs_abcdefghijklmnopqrstuvwxyz0123', expected: `${R} ${R}` },
  { rule: 'GitHub github_pat_', input: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', expected: R },
  { rule: 'GitLab glpat-', input: 'use glpat-abcdefghij0123456789 now', expected: `use ${R} now` },
  { rule: 'AWS AKIA', input: 'aws id AKIAIOSFODNN7EXAMPLE.', expected: `aws id ${R}.` },
  { rule: 'AWS ASIA', input: 'ASIAIOSFODNN7EXAMPLE', expected: R },
  { rule: 'Slack xox', input: 'slack xoxb-1234567890-abcdefghij', expected: `slack ${R}` },
  { rule: 'Google AIza', input: 'key=AIzaSyA-abcdefghijklmnopqrstuvwxyz01234', expected: `key=${R}` },
  { rule: 'npm npm_', input: 'npm_abcdefghijklmnopqrstuvwxyz0123456789 x', expected: `${R} x` },
  { rule: 'Hugging Face hf_', input: '(hf_abcdefghijklmnopqrstuvwxyzABCDEFGH)', expected: `(${R})` },
  { rule: 'JWT', input: 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl end', expected: `jwt ${R} end` },
  {
    rule: 'PEM private key block',
    input: 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabcdef==\n-----END RSA PRIVATE KEY-----\ndone',
    expected: `key:\n-----BEGIN RSA PRIVATE KEY-----\n${R}\n${R}\n-----END RSA PRIVATE KEY-----\ndone`,
  },
  { rule: 'a token in ANSI colour', input: `\x1b[32m${GH}\x1b[0m`, expected: `\x1b[32m${R}\x1b[0m` },
];

for (const { rule, input, expected } of TEXT_RULES) {
  test(`text rule: ${rule}, in text and JSON records`, async (t) => {
    const logged = await messageAsLogged(t, input);
    // Control characters are escaped in text records (§2); compare them as written.
    assert.equal(logged.text, expected.replaceAll('\x1b', '\\x1b'));
    assert.equal(logged.json, expected);
  });
}

const ORDINARY = [
  'user=bob path=/usr/lib i=42',
  'author=Jane Doe max_tokens=4096 tokens_used=1234',
  'built desk-organizer-0123456789012345678901 in 3s',
  '2024-05-01T12:34:56Z took 12:34:56.789',
  'GET https://example.com:8443/path?q=1 and http://host/a@b',
  'mkdir -p /tmp/x && ssh -p 2222 host && grep -P x',
  'Executing command make build 123',
  'token count: 12, passes: 3, author: me',
  'the Bearer of bad news',
  // Inside a word, no Bearer token and no URL: the rules' boundaries.
  'X-Bearer abcdefgh12 is a header, my_Bearer abcdefgh12 a variable',
  'v1_https://u:pw@h and 9x://u:pw@h are no URLs',
];

test('ordinary records are written unchanged, in text and JSON', async (t) => {
  for (const message of ORDINARY) {
    const logged = await messageAsLogged(t, message);
    assert.equal(logged.text, message);
    assert.equal(logged.json, message);
  }
});

test('rule 1: the value of a sensitive key is redacted at any depth, arrays included; other keys are kept', async (t) => {
  const fields = {
    db_password: 'p1', refreshToken: 't1', OPENAI_API_KEY: 'k1', 'x-api-key': 'k2', auth: 'a', pass: 'b', pwd: 'c',
    sessionId: 's', Cookie: 'c1', credentials: { user: 'u', pass: 'p' },
    author: 'me', max_tokens: 4096, tokens_used: 12, user: 'bob',
    nested: { deeper: [{ secret: 'x', keep: 1 }, { privateKey: 'y' }] },
  };
  const json = await logTo(t, { format: 'json' }, (s) => s.logger.info('fields', fields));
  const record = JSON.parse(json) as Record<string, unknown>;
  for (const key of ['db_password', 'refreshToken', 'OPENAI_API_KEY', 'x-api-key', 'auth', 'pass', 'pwd', 'sessionId', 'Cookie', 'credentials']) {
    assert.equal(record[key], R, key);
  }
  assert.equal(record.author, 'me');
  assert.equal(record.max_tokens, 4096);
  assert.equal(record.tokens_used, 12);
  assert.equal(record.user, 'bob');
  assert.deepEqual(record.nested, { deeper: [{ secret: R, keep: 1 }, { privateKey: R }] });

  const text = await logTo(t, { format: 'text' }, (s) => s.logger.info('fields', fields));
  assert.match(text, / db_password=\[REDACTED\] refreshToken=\[REDACTED\] OPENAI_API_KEY=\[REDACTED\] x-api-key=\[REDACTED\] auth=\[REDACTED\]/);
  assert.match(text, / credentials=\[REDACTED\] author=me max_tokens=4096 tokens_used=12 user=bob /);
  assert.match(text, / nested="\{\\"deeper\\":\[\{\\"secret\\":\\"\[REDACTED\]\\",\\"keep\\":1\},\{\\"privateKey\\":\\"\[REDACTED\]\\"\}\]\}"/);
});

test('rule 2 applies to string values of extra fields too', async (t) => {
  const json = await logTo(t, { format: 'json' }, (s) => s.logger.info('ran', { cmd: `git push https://x:${GH}@github.com/a/b`, env: ['A=1', 'API_TOKEN=zzz'] }));
  const record = JSON.parse(json) as { cmd: string; env: string[] };
  assert.equal(record.cmd, `git push https://x:${R}@github.com/a/b`);
  assert.deepEqual(record.env, ['A=1', `API_TOKEN=${R}`]);
  const text = await logTo(t, { format: 'text' }, (s) => s.logger.info('ran', { cmd: `curl -H "Authorization: Bearer abc" ${GH}` }));
  assert.match(text, / cmd="curl -H \\"Authorization: Bearer \[REDACTED\]\\" \[REDACTED\]"\n$/);
});

test('an Error holding a token is redacted in its message and its stack, in text and JSON', async (t) => {
  const error = new Error(`request failed with ${GH}`);
  const text = await logTo(t, { format: 'text' }, (s) => s.logger.error('failed', error));
  assert.ok(!text.includes(GH), text);
  assert.match(text, /\n {4}Error: request failed with \[REDACTED\]\n {8}at /);
  const json = await logTo(t, { format: 'json' }, (s) => s.logger.error('failed', error));
  const record = JSON.parse(json) as { err: { message: string; stack: string } };
  assert.equal(record.err.message, `request failed with ${R}`);
  assert.match(record.err.stack, /^Error: request failed with \[REDACTED\]\n {4}at /);
});

test('user keys are matched exactly, case-insensitively; user patterns replace every match, g flag or not', async (t) => {
  const pattern = /EMP-\d{4}/;
  const options: LoggingOptions = { redact: { keys: ['Employee'], patterns: [pattern, /cust_[a-z]+/g] } };
  const json = await logTo(t, { ...options, format: 'json' }, (s) => {
    s.logger.info('ids EMP-1234 and EMP-5678, cust_abc', { EMPLOYEE: 'Ann', employees: 'kept', employee_id: 'kept', nested: { employee: 'x' } });
  });
  const record = JSON.parse(json) as Record<string, unknown>;
  assert.equal(record.msg, `ids ${R} and ${R}, ${R}`);
  assert.equal(record.EMPLOYEE, R);
  assert.equal(record.employees, 'kept');
  assert.equal(record.employee_id, 'kept');
  assert.deepEqual(record.nested, { employee: R });
  assert.equal(pattern.lastIndex, 0, "the caller's pattern is not used (and its lastIndex not moved)");
  const text = await logTo(t, { ...options, format: 'text' }, (s) => s.logger.info('employee: Bob EMP-0001'));
  assert.match(text, / - employee: \[REDACTED\] \[REDACTED\]\n$/);
});

test('redact: false and AUTOMAKE_LOG_REDACT=off/false/0/no write secrets as they are; on/true/1/yes redact', async (t) => {
  const message = `export GITHUB_TOKEN=${GH}`;
  const off = await logTo(t, { redact: false }, (s) => s.logger.info(message, { password: 'p' }));
  assert.ok(off.includes(message) && off.includes('password=p'), off);
  for (const word of ['off', 'false', '0', 'no', 'OFF']) {
    const text = await logTo(t, { env: { AUTOMAKE_LOG_REDACT: word } }, (s) => s.logger.info(message));
    assert.ok(text.includes(message), `${word}: ${text}`);
  }
  for (const word of ['on', 'true', '1', 'yes', 'Yes']) {
    const text = await logTo(t, { env: { AUTOMAKE_LOG_REDACT: word } }, (s) => s.logger.info(message));
    assert.ok(!text.includes(GH) && text.includes(R), `${word}: ${text}`);
  }
  // The option wins over the environment.
  const option = await logTo(t, { redact: true, env: { AUTOMAKE_LOG_REDACT: 'off' } }, (s) => s.logger.info(message));
  assert.ok(!option.includes(GH), option);
});

test('a bad AUTOMAKE_LOG_REDACT is a WARNING, and redaction stays on', async (t) => {
  const text = await logTo(t, { env: { AUTOMAKE_LOG_REDACT: 'maybe' } }, (s) => s.logger.info(`t ${GH}`));
  const [warning, record] = text.trimEnd().split('\n');
  assert.match(warning, / - WARNING - Ignoring AUTOMAKE_LOG_REDACT="maybe": .*default true/);
  assert.equal(textMessage(record), `t ${R}`);
});

test('a bad redact option throws a TypeError naming it and the value', () => {
  const cases: [unknown, RegExp][] = [
    ['yes', /"redact" must be true, false or \{ keys, patterns \}: received "yes"/],
    [{ keys: 'password' }, /"redact.keys" must be an array of non-empty strings: received "password"/],
    [{ keys: [''] }, /"redact.keys" must be an array of non-empty strings/],
    [{ patterns: ['sk-.*'] }, /"redact.patterns" must be an array of regular expressions/],
    [{ pattern: [/x/] }, /Unknown "redact" option "pattern"/],
    [{ patterns: [/(a+)+$/] }, /"redact.patterns" must not repeat a group that holds a repetition or an alternation.*received \/\(a\+\)\+\$\//],
    [{ patterns: [/(?:x|xx)*y/] }, /must not repeat a group/],
    [{ patterns: [/a*a*a*a*b/] }, /"redact.patterns" may repeat without bound \(\*, \+, \{n,\}\) at most 3 times, to bound its backtracking: received \/a\*a\*a\*a\*b\//],
    [{ patterns: [/a*/] }, /"redact.patterns" must not match the empty string: received \/a\*\//],
  ];
  for (const [redact, message] of cases) {
    assert.throws(() => resolveSettings({ env: {}, redact: redact as LoggingOptions['redact'] }), (error: Error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
});

test('a 10 MB message and a user pattern that backtracks badly finish; the record is redacted, then cut to its bound', async (t) => {
  // In a child process, so that a hang is killed and fails the test rather than stall the suite.
  const dir = tempDir(t);
  const result = await runNode(fixture('redact-child.ts'), [dir], { timeoutMs: 120_000 });
  assert.equal(result.timedOut, false, 'it finished');
  assert.equal(result.code, 0, result.stderr);
  const lines = bodyLines(fileLines(onlyLogFile(dir)));
  assert.equal(lines.length, 3, 'the big record, the WARNING about the slow pattern, the next record');
  // The user pattern matches the `b` of `big` too (a*a*a*b): it is applied, until it is dropped.
  assert.ok(/ - INFO - \S+ a+… \[truncated \d+ bytes\]$/.test(lines[0]), 'the big record is cut to its bound (1 MiB)');
  assert.ok(Buffer.byteLength(lines[0]) <= 1024 * 1024, 'within maxRecordBytes');
  assert.ok(!fs.readFileSync(onlyLogFile(dir), 'utf8').includes('hunter2'), 'the secret at its end was redacted before the cut');
  assert.match(lines[1], / - WARNING - Redaction pattern \/a\*a\*a\*b\/g took more than \d+ ms in all and is no longer applied$/);
  assert.match(lines[2], / - INFO - after$/);
});

// ---------------------------------------------------------------------------
// The pre-check: a chunk is only looked at where the scan flags it
// ---------------------------------------------------------------------------

// Every rule and token format, with a secret of its own that must not reach the file;
// `secret` fits a generated one to the format when it must (AWS: 16 capitals).
const SECRET_SHAPES: { name: string; make: (secret: string, casing: (key: string) => string) => string; secret?: (s: string) => string }[] = [
  { name: 'key=value', make: (s, c) => `${c('db_password')}=${s}` },
  { name: 'key: value', make: (s, c) => `${c('api_key')}: ${s}` },
  { name: '"key": "value"', make: (s, c) => `{"${c('secret')}": "${s}"}` },
  { name: '"key":"value"', make: (s, c) => `{"${c('token')}":"${s}"}` },
  { name: "'key': 'value'", make: (s, c) => `{'${c('secret')}': '${s}'}` },
  { name: "'key':'value'", make: (s, c) => `{'${c('token')}':'${s}'}` },
  { name: "'key':value", make: (s, c) => `'${c('password')}':${s}` },
  { name: '--key=value', make: (s, c) => `--${c('password')}=${s}` },
  { name: '--key value', make: (s, c) => `--${c('token')} ${s}` },
  { name: 'Authorization: Bearer', make: (s, c) => `${c('Authorization')}: Bearer ${s}` },
  { name: 'Authorization: Basic', make: (s, c) => `${c('Authorization')}: Basic ${s}` },
  { name: 'bare Bearer', make: (s) => `Bearer ${s}` },
  { name: 'URL password', make: (s) => `https://user:${s}@example.com/x` },
  { name: 'mysql -p', make: (s) => `mysql -u root -p${s} db` },
  { name: 'sk-', make: (s) => `sk-${s}${s}` },
  { name: 'ghp_', make: (s) => `ghp_${s}${s}` },
  { name: 'gho_', make: (s) => `gho_${s}${s}` },
  { name: 'ghu_', make: (s) => `ghu_${s}${s}` },
  { name: 'ghs_', make: (s) => `ghs_${s}${s}` },
  { name: 'ghr_', make: (s) => `ghr_${s}${s}` },
  { name: 'github_pat_', make: (s) => `github_pat_${s}${s}` },
  { name: 'glpat-', make: (s) => `glpat-${s}${s}` },
  { name: 'AKIA', make: (s) => `AKIA${s}`, secret: (s) => s.slice(0, 16).toUpperCase() },
  { name: 'ASIA', make: (s) => `ASIA${s}`, secret: (s) => s.slice(0, 16).toUpperCase() },
  { name: 'xoxb-', make: (s) => `xoxb-${s}` },
  { name: 'xoxp-', make: (s) => `xoxp-${s}` },
  { name: 'AIza', make: (s) => `AIza${s}`, secret: (s) => `${s}${s}`.slice(0, 35) },
  { name: 'npm_', make: (s) => `npm_${s}`, secret: (s) => `${s}${s}`.slice(0, 36) },
  { name: 'hf_', make: (s) => `hf_${s}${s}` },
  { name: 'JWT', make: (s) => `eyJhbGciOiJIUzI1NiJ9.eyJ${s}.${s}` },
  { name: 'PEM', make: (s) => `-----BEGIN PRIVATE KEY-----\n${s}\n-----END PRIVATE KEY-----` },
];
const CASINGS = [(k: string) => k, (k: string) => k.toUpperCase(), (k: string) => k.replace(/_(.)/g, (_m, c: string) => c.toUpperCase())];

/**
 * A secret of 20 letters and digits, different each call, that occurs nowhere
 * else. Every other one starts with a digit, so that no trigger of the scan is
 * found by chance after a prefix's `-` (`xoxb-1…`, `sk-1…`).
 */
let secretCounter = 0;
function nextSecret(): string {
  secretCounter++;
  return `${secretCounter % 2 === 0 ? '7' : 'Z'}q${String(secretCounter).padStart(6, '0')}x9Y8w7V6u5T4`.slice(0, 20);
}

test('the pre-check never lets a secret through: every rule, at every offset within a block, in text and JSON, in messages, fields and errors', async (t) => {
  for (const format of ['text', 'json'] as const) {
    const secrets: string[] = [];
    const text = await logTo(t, { format }, (s) => {
      for (const shape of SECRET_SHAPES) {
        for (let offset = 0; offset < 40; offset++) {
          const casing = CASINGS[offset % CASINGS.length];
          const secret = shape.secret?.(nextSecret()) ?? nextSecret();
          secrets.push(secret);
          // Offsets shift the secret across the scan's 32-byte blocks; "é" makes some chunks non-ASCII.
          const filler = (offset % 7 === 3 ? 'é' : '') + 'x'.repeat(offset);
          const secretText = shape.make(secret, casing);
          switch (offset % 4) {
            case 0: s.logger.info(`${filler} ${secretText}`); break;
            case 1: s.logger.info(`${filler} ${secretText} and more after it`); break;
            case 2: s.logger.info(filler, { detail: secretText }); break;
            default: s.logger.error(filler, new Error(`failed: ${secretText}`));
          }
          // An ordinary record between, so that no secret shares a block with another's trigger.
          s.logger.info('Executing command make build ' + offset);
        }
      }
    });
    const leaked = secrets.filter((secret) => text.includes(secret));
    assert.deepEqual(leaked, [], `${format}: secrets in the file`);
  }
});

test('a secret after many non-ASCII characters in the same chunk is found: the scan counts bytes, the text UTF-16 units', async (t) => {
  for (const format of ['text', 'json'] as const) {
    const secrets: string[] = [];
    const text = await logTo(t, { format }, (s) => {
      for (let i = 0; i < 60; i++) {
        // 3 bytes of UTF-8 for 1 unit, and 4 for 2: the byte offsets run ahead of the string's.
        s.logger.info('€'.repeat(20 * i) + '𝄞'.repeat(i));
        const secret = nextSecret();
        secrets.push(secret);
        s.logger.info(`step ${i} GITHUB_TOKEN=${secret}`);
      }
    });
    assert.deepEqual(secrets.filter((secret) => text.includes(secret)), [], `${format}: secrets in the file`);
  }
});

test('records the scan skips are exactly what the rules would write: the file equals every message through redactText', async (t) => {
  const messages: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const shape = SECRET_SHAPES[i % SECRET_SHAPES.length];
    messages.push(i % 5 === 0 ? `n${i} ${shape.make(nextSecret(), CASINGS[i % 3])} tail` : `Executing command make build ${i} ${ORDINARY[i % ORDINARY.length]}`);
  }
  const text = await logTo(t, { format: 'json' }, (s) => {
    for (const message of messages) s.logger.info(message);
  });
  const logged = text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
  assert.deepEqual(logged, messages.map((message) => redactText(message)));
});
