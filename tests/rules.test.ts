/**
 * Redaction has no pre-check to get past (docs/design.md §8): every built-in rule,
 * a rule added through `redact.patterns`, and a token format added to the core's
 * list is applied wherever its pattern occurs, whatever surrounds it: generated
 * records put each secret at random places among ordinary text, in messages,
 * fields and errors, in text and JSON.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT, runNode } from './helpers/child.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { withSession } from './helpers/session.ts';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

// Each rule of §8 and each token format: a text holding `secret` that the rule must find.
const SHAPES: { rule: string; make: (secret: string) => string; fit?: (secret: string) => string }[] = [
  { rule: 'key=value', make: (s) => `api_key=${s}` },
  { rule: 'key = value', make: (s) => `aws_secret_access_key = ${s}` },
  { rule: 'key: value', make: (s) => `password: ${s}` },
  { rule: '"key": "value"', make: (s) => `{"client_secret": "${s}"}` },
  { rule: '--key value', make: (s) => `--token ${s}` },
  { rule: 'env-style _KEY', make: (s) => `STRIPE_KEY=${s}` },
  { rule: 'AccountKey', make: (s) => `AccountName=a;AccountKey=${s};EndpointSuffix=x` },
  { rule: 'Authorization scheme', make: (s) => `Authorization: token ${s}` },
  { rule: 'bare Bearer', make: (s) => `Bearer ${s}` },
  { rule: 'URL password', make: (s) => `https://user:${s}@example.com/` },
  { rule: 'mysql -p', make: (s) => `mysql -u root -p${s} db` },
  { rule: 'docker login -p', make: (s) => `docker login -u bob -p ${s} reg` },
  { rule: 'curl -u', make: (s) => `curl -u bob:${s} https://x` },
  { rule: 'redis-cli -a', make: (s) => `redis-cli -a ${s} ping` },
  { rule: 'PEM', make: (s) => `-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----` },
  ...[
    'sk-', 'sk_live_', 'sk_test_', 'rk_live_', 'whsec_', 'ghp_', 'gho_', 'ghs_', 'github_pat_', 'glpat-', 'xoxb-', 'xapp-', 'hf_', 'pypi-',
  ].map((prefix) => ({ rule: `token ${prefix}`, make: (s: string) => `${prefix}${s}${s}${s}` })),
  { rule: 'token AKIA', make: (s) => `AKIA${s}`, fit: (s) => s.toUpperCase().slice(0, 16) },
  { rule: 'token AIza', make: (s) => `AIza${s}`, fit: (s) => (s + s).slice(0, 35) },
  { rule: 'token npm_', make: (s) => `npm_${s}`, fit: (s) => (s + s).slice(0, 36) },
  { rule: 'token SG.', make: (s) => `SG.${s}.${s}` },
  { rule: 'token shpat_', make: (s) => `shpat_${s}`, fit: (s) => Buffer.from(s).toString('hex').slice(0, 32) },
  { rule: 'JWT', make: (s) => `eyJhbGciOiJIUzI1NiJ9.eyJ${s}.${s}` },
  { rule: 'Slack webhook', make: (s) => `https://hooks.slack.com/services/T0/B0/${s}` },
  { rule: 'Discord webhook', make: (s) => `https://discord.com/api/webhooks/12345/${s}` },
];

// Ordinary text, holding what the rules' gates look for (`=`, `:`, ` -`, `://`, Bearer) where no secret is.
const FILLERS = ['x', 'user=bob', 'i=3', 'a: b', 'took 12:34', 'mkdir -p /tmp', 'see https://example.com/a', 'the Bearer of news', 'é€😀', '->', '"q"', '(', ')', ';', ','];

/** `count` records, each a secret of some shape among random fillers; the secrets, all distinct. */
function records(count: number, seed: number, shapes = SHAPES): { messages: string[]; secrets: string[] } {
  const next = random(seed);
  const messages: string[] = [];
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const shape = shapes[i % shapes.length]!;
    const base = `Q${(i * 7919 + seed).toString(36)}z${Math.floor(next() * 1e9).toString(36)}Kq9`.padEnd(20, 'w');
    const secret = shape.fit?.(base) ?? base;
    secrets.push(secret);
    const words = Array.from({ length: Math.floor(next() * 8) }, () => FILLERS[Math.floor(next() * FILLERS.length)]!);
    words.splice(Math.floor(next() * (words.length + 1)), 0, shape.make(secret));
    messages.push(words.join(' '));
  }
  return { messages, secrets };
}

test('every built-in rule and token format is applied wherever its pattern occurs: messages, fields and errors, text and JSON', async (t) => {
  for (const format of ['text', 'json'] as const) {
    const { messages, secrets } = records(SHAPES.length * 30, format === 'text' ? 1 : 2);
    const file = await withSession({ dir: tempDir(t), env: {}, format }, (s) => {
      messages.forEach((message, i) => {
        if (i % 3 === 0) s.logger.info(message);
        else if (i % 3 === 1) s.logger.info('field', { detail: message });
        else s.logger.warning('failed', new Error(message));
      });
    });
    const text = bodyLines(fileLines(file)).join('\n');
    const leaked = secrets.map((secret, i) => [SHAPES[i % SHAPES.length]!.rule, secret]).filter(([, secret]) => text.includes(secret!));
    assert.deepEqual(leaked, [], `${format}: secrets in the file`);
  }
});

test('a rule added through redact.patterns is applied wherever its pattern occurs', async (t) => {
  const shapes = [{ rule: 'user pattern', make: (s: string) => `cust-${s}` }];
  const { messages, secrets } = records(500, 3, shapes);
  const file = await withSession({ dir: tempDir(t), env: {}, redact: { patterns: [/cust-Q[0-9a-z]+z[0-9a-z]+Kq9w*/] } }, (s) => {
    for (const message of messages) s.logger.info(message);
  });
  const text = fs.readFileSync(file, 'utf8');
  assert.deepEqual(secrets.filter((secret) => text.includes(secret)), [], 'secrets in the file');
  assert.equal(text.split('[REDACTED]').length - 1, messages.length);
});

test('a token format added to the core\'s list is applied wherever it occurs, with nothing else to change', async (t) => {
  const project = tempDir(t);
  const source = fs.readFileSync(path.join(ROOT, 'lib', 'logging.ts'), 'utf8');
  const anchor = "  ['eyJ', ";
  assert.ok(source.includes(anchor), 'the token list has its JWT entry to add beside');
  fs.writeFileSync(path.join(project, 'logging.ts'), source.replace(anchor, "  ['zq9!', '[A-Za-z0-9]{20,}'],\n" + anchor));
  const { messages, secrets } = records(400, 4, [{ rule: 'new format', make: (s: string) => `zq9!${s}` }]);
  fs.writeFileSync(path.join(project, 'messages.json'), JSON.stringify(messages));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
  const child = path.join(project, 'child.ts');
  fs.writeFileSync(child, [
    "import * as fs from 'node:fs';",
    "import { initLogging } from './logging.ts';",
    "const [dir] = process.argv.slice(2);",
    "const session = initLogging({ dir, env: {} });",
    "for (const message of JSON.parse(fs.readFileSync(new URL('./messages.json', import.meta.url), 'utf8'))) session.logger.info(message);",
    'await session.close();',
  ].join('\n'));
  const logDir = path.join(project, 'logs');
  const result = await runNode(child, [logDir]);
  assert.equal(result.code, 0, result.stderr);
  const text = fs.readFileSync(onlyLogFile(logDir), 'utf8');
  assert.deepEqual(secrets.filter((secret) => text.includes(secret)), [], 'secrets of the new format in the file');
});
