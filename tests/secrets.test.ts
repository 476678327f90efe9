/**
 * Secrets of realistic shape never reach the file (docs/design.md §8 items 1-3),
 * through the library and through `exec`; the non-secrets of item 4 are written as
 * they are. A private key printed line by line, and a secret cut in two by exec's
 * 64 KiB line split, are redacted too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test, type TestContext } from 'node:test';

import { getLogger, type LoggingOptions, type LogSession } from '../lib/logging.ts';
import { runCli } from './helpers/cli.ts';
import { onlyLogFile, tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines } from './helpers/records.ts';
import { withSession } from './helpers/session.ts';

const R = '[REDACTED]';

/** Opens a session, runs `fn`, and returns the records it logged, between header and end. */
async function logged(t: TestContext, options: LoggingOptions, fn: (session: LogSession) => void): Promise<string> {
  return bodyLines(fileLines(await withSession({ dir: tempDir(t), env: {}, ...options }, fn))).join('\n');
}

// Each line holds the secret(s) after `|`: what must not reach the file.
const SECRETS: { item: string; line: string; secrets: string[] }[] = [
  { item: '1: a sensitive key in a field', line: 'db_password=S3cr3t-Db-Pass', secrets: ['S3cr3t-Db-Pass'] },
  { item: '2: key=value', line: 'export OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12', secrets: ['sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12'] },
  { item: '2: "key": "value"', line: '{"refresh_token": "rt.9f8e7d6c5b4a3210"}', secrets: ['rt.9f8e7d6c5b4a3210'] },
  { item: '2: --key value', line: 'psql --password Pg-Pass-4471 --host db', secrets: ['Pg-Pass-4471'] },
  { item: '2: Authorization: Bearer', line: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.dBjftJeZ4CVPmB92K27uhbUJU1p1r', secrets: ['dBjftJeZ4CVPmB92K27uhbUJU1p1r'] },
  { item: '2: a URL password', line: 'git clone https://ci-bot:glp-8x7y6z5w@gitlab.example.com/a/b.git', secrets: ['glp-8x7y6z5w'] },
  { item: '2: GitHub token', line: 'GH ghp_R4nd0mL00k1ngT0k3nV4lu3AbCdEf123456', secrets: ['ghp_R4nd0mL00k1ngT0k3nV4lu3AbCdEf123456'] },
  { item: '2: AWS key id', line: 'id AKIAQ3EGRIKMVZ7TYF5P', secrets: ['AKIAQ3EGRIKMVZ7TYF5P'] },
  { item: '2: Slack bot token', line: 'slack xoxb-2048-1024-Zx9Yw8Vu7Ts6', secrets: ['xoxb-2048-1024-Zx9Yw8Vu7Ts6'] },
  { item: '3: spaces around = (aws credentials)', line: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', secrets: ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'] },
  { item: '3: .pypirc password', line: 'password = pypi-AgEIcHlwaS5vcmcCJDNhYmM0ZGVmLTEyMzQtNTY3OC05MGFiLWNkZWYxMjM0NTY3OA', secrets: ['AgEIcHlwaS5vcmcCJDNhYmM0ZGVmLTEyMzQtNTY3OC05MGFiLWNkZWYxMjM0NTY3OA'] },
  { item: '3: upper-case _KEY/_PASS/_PWD', line: 'STRIPE_KEY=pk9z8y7x SMTP_PASS=m4ilP4ss ADMIN_PWD=4dm1nPwd', secrets: ['pk9z8y7x', 'm4ilP4ss', '4dm1nPwd'] },
  { item: '3: secretkey, signingkey, encryptionkey', line: 'SECRET_KEY=dj4ng0-s3cr3t signing_key=sg9k8j7 ENCRYPTION_KEY=3ncK3y99', secrets: ['dj4ng0-s3cr3t', 'sg9k8j7', '3ncK3y99'] },
  { item: '3: Azure AccountKey', line: 'DefaultEndpointsProtocol=https;AccountName=st1;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRg==;EndpointSuffix=core.windows.net', secrets: ['Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRg=='] },
  { item: '3: a SAS sig=', line: 'https://st1.blob.core.windows.net/c/b?sv=2022-11-02&sig=Qm9ndXNTaWduYXR1cmU%3D&se=2030', secrets: ['Qm9ndXNTaWduYXR1cmU%3D'] },
  { item: '3: curl -u user:password', line: 'curl -u deploy:Curl-Pa55 https://api.example.com', secrets: ['Curl-Pa55'] },
  { item: '3: docker login -p', line: 'docker login -u bob -p D0ck3r-Pa55 registry.example.com', secrets: ['D0ck3r-Pa55'] },
  { item: '3: sshpass -p', line: 'sshpass -p Ssh-Pa55-77 ssh root@host', secrets: ['Ssh-Pa55-77'] },
  { item: '3: mysql -p', line: 'mysql -u root -pMy-Sql-Pa55 shop', secrets: ['My-Sql-Pa55'] },
  { item: '3: Authorization: token', line: 'Authorization: token 0f1e2d3c4b5a69788796a5b4c3d2e1f001234567', secrets: ['0f1e2d3c4b5a69788796a5b4c3d2e1f001234567'] },
  { item: '3: Authorization: Bot', line: 'Authorization: Bot MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs', secrets: ['MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs'] },
  { item: '3: Authorization: Digest', line: 'Authorization: Digest username="bob", response="6629fae49393a05397450978507c4ef1"', secrets: ['6629fae49393a05397450978507c4ef1'] },
  { item: '3: AWS Signature=', line: 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb', secrets: ['5d672d79c15b13162d9279b0855cfba6789a8edb'] },
  { item: '3: Stripe keys', line: 'sk_live_51Hq2abCDefGHijKLmn rk_live_51Hq2abCDefGHijKLmn sk_test_4eC39HqLyjWDarjtT1zdp7dc whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', secrets: ['51Hq2abCDefGHijKLmn', '4eC39HqLyjWDarjtT1zdp7dc', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
  { item: '3: Slack app token and webhook', line: 'xapp-1-A0123ABCD-1234567890-abcdef012345 https://hooks.slack.com/services/T0123ABCD/B0123ABCD/Xyz0123456789abcdefABCD', secrets: ['A0123ABCD-1234567890', 'Xyz0123456789abcdefABCD'] },
  { item: '3: Discord webhook', line: 'https://discord.com/api/webhooks/1234567890123456789/AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-xyz', secrets: ['AbCdEfGhIjKlMnOpQrStUvWxYz_0123456789-xyz'] },
  { item: '3: SendGrid', line: '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', secrets: ['ngeVfQFYQlKU0ufo8x5d1A', 'TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr'] },
  { item: '3: Shopify', line: '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', secrets: ['0a1b2c3d4e5f60718293a4b5c6d7e8f9'] },
];

// §8 item 4 and ordinary lines: written exactly as they are.
const NOT_SECRETS = [
  'call(auth=None, token=None)',
  'has_secret=true is_token=false password=null',
  'token: refreshes when expired',
  'passwd: files',
  'passwd:         files systemd',
  'author=Jane max_tokens=4096 tokens_used=1234',
  'mkdir -p /tmp/x && ssh -p 2222 host && grep -P x',
  'curl -u user https://example.com',
  'the Bearer of bad news',
];

test('every secret of §8 items 1-3 is redacted in messages, fields and errors, in text and JSON; the rest of the line stays', async (t) => {
  for (const format of ['text', 'json'] as const) {
    const text = await logged(t, { format }, (s) => {
      for (const { line } of SECRETS) {
        s.logger.info(`message ${line}`);
        s.logger.info('field', { detail: line });
        s.logger.error('failed', new Error(`boom ${line}`));
      }
      s.logger.info('fields', { db_password: 'F13ld-Pa55', STRIPE_KEY: 'F13ld-Str1pe', credentials: { user: 'u', pass: 'F13ld-Cr3d' } });
    });
    for (const { item, secrets } of SECRETS) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `${format}, item ${item}: ${secret} leaked`);
    }
    for (const secret of ['F13ld-Pa55', 'F13ld-Str1pe', 'F13ld-Cr3d']) assert.ok(!text.includes(secret), `${format}: field ${secret} leaked`);
    assert.ok(text.includes('AccountName=st1;AccountKey=') && text.includes(';EndpointSuffix=core.windows.net'), 'only the secret goes');
    if (format === 'json') for (const line of text.split('\n')) JSON.parse(line);
  }
});

test('the non-secrets of §8 item 4 are written as they are, in text and JSON', async (t) => {
  const text = await logged(t, { format: 'text' }, (s) => NOT_SECRETS.forEach((line) => s.logger.info(line)));
  assert.deepEqual(text.split('\n').map((line) => line.replace(/^.* - INFO - /, '')), NOT_SECRETS);
  const json = await logged(t, { format: 'json' }, (s) => NOT_SECRETS.forEach((line) => s.logger.info(line)));
  assert.deepEqual(json.split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg), NOT_SECRETS);
});

const KEY_LINES = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACDn4Pm2xyKeyMaterialLine2ZZZZYYYYXXXXWWWWVVVVUUUUTTTTSSSSRRR',
  'AAAEC3Q4KeyMaterialLine3QQQQPPPPOOOONNNNMMMMLLLLKKKKJJJJIIIIHHHHGGGGFFF',
  '-----END OPENSSH PRIVATE KEY-----',
];

test('a private key printed line by line, in blocks and one line per call, is redacted from BEGIN to END; what follows is not', async (t) => {
  const text = await logged(t, {}, () => {
    const out = getLogger('automake.exec.stdout');
    out.lines('INFO', `before\n${KEY_LINES.slice(0, 2).join('\n')}`);
    out.lines('INFO', Buffer.from(KEY_LINES.slice(2).join('\n') + '\nafter'));
    for (const line of KEY_LINES) out.info(line);
    out.info('after again');
  });
  for (const line of KEY_LINES.slice(1, -1)) assert.ok(!text.includes(line.slice(10, 40)), `key material leaked: ${line}`);
  const messages = text.split('\n').map((line) => line.replace(/^.* - INFO - /, ''));
  assert.deepEqual(messages, ['before', KEY_LINES[0], R, R, R, KEY_LINES[4], 'after', KEY_LINES[0], R, R, R, KEY_LINES[4], 'after again']);
});

test('exec: every secret of §8 printed by a command is redacted in the log, the terminal gets them as they were', async (t) => {
  const dir = tempDir(t);
  const output = [...SECRETS.map(({ line }) => line), ...KEY_LINES, ...NOT_SECRETS].join('\n') + '\n';
  const result = await runCli(['exec', '--', 'cat'], { dir, input: output });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, output, 'the terminal gets the output unchanged');
  const log = fs.readFileSync(onlyLogFile(dir), 'utf8');
  for (const { item, secrets } of SECRETS) for (const secret of secrets) assert.ok(!log.includes(secret), `exec, item ${item}: ${secret} leaked`);
  for (const line of KEY_LINES.slice(1, -1)) assert.ok(!log.includes(line.slice(10, 40)), 'key material leaked');
  for (const line of NOT_SECRETS) assert.ok(log.includes(` - INFO - ${line}\n`), `exec changed ${line}`);
});

test('exec: a secret cut in two by the 64 KiB line split is redacted in the continued part too', async (t) => {
  const dir = tempDir(t);
  const cut = 64 * 1024;
  // The value of a sensitive key, a Bearer token and a GitHub token, each straddling the cut; each
  // line long enough (100 KiB more) that its first 64 KiB are read before its newline.
  const more = ' ' + 'w'.repeat(100 * 1024);
  const lines = [
    'x'.repeat(cut - 'password='.length - 4) + ' password=Sp1itPassw0rdValue tail1' + more,
    'y'.repeat(cut - 'sent Bearer '.length - 1) + ' sent Bearer Sp1itBearerTok3nValue tail2' + more,
    'z'.repeat(cut - 30) + ' ghp_Sp1itGitHubT0kenValue0123456789ab tail3' + more,
  ];
  const result = await runCli(['exec', '--', 'cat'], { dir, input: lines.join('\n') + '\n' });
  assert.equal(result.code, 0, result.stderr);
  const log = fs.readFileSync(onlyLogFile(dir), 'utf8');
  assert.ok(log.includes('continued=true'), 'the lines were split');
  for (const [secret, rest] of [['Sp1itPassw0rdValue', 'rdValue'], ['Sp1itBearerTok3nValue', 'Tok3nValue'], ['ghp_Sp1itGitHubT0kenValue0123456789ab', 'T0kenValue0123456789ab']]) {
    assert.ok(!log.includes(secret) && !log.includes(rest), `${secret}: its continued part leaked`);
  }
  for (const tail of ['tail1', 'tail2', 'tail3']) assert.ok(log.includes(tail), `${tail}: what follows the secret is kept`);
});
