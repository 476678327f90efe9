/** Process-isolated logging (seed §3.1): many sessions at once in one directory never share or tear a file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { bodyLines, fileLines, LOG_NAME, sequenceOf, sequenceProblem } from './helpers/records.ts';

const PROCESSES = 20;
const RECORDS = 20_000;

test('twenty processes started together, 20,000 records each: twenty files, each exactly its own records in order', async (t) => {
  const dir = tempDir(t);
  const results = await Promise.all(
    Array.from({ length: PROCESSES }, (_, k) => runScenario(['return', dir, String(RECORDS), `p${k}`])),
  );
  for (const [k, result] of results.entries()) assert.equal(result.code, 0, `process ${k}: ${result.stderr}`);
  const files = readdirSync(dir).filter((name) => LOG_NAME.test(name));
  assert.equal(files.length, PROCESSES, 'one file per process');
  const tagsSeen = new Set<string>();
  for (const name of files) {
    const file = join(dir, name);
    // Between the session's header and end records, only its own records.
    const lines = bodyLines(fileLines(file));
    const tag = /- INFO - (p\d+) /.exec(lines[0])?.[1];
    assert.ok(tag !== undefined, `${name} starts with a record of ours: ${lines[0]}`);
    tagsSeen.add(tag);
    // sequenceOf throws on a malformed line; the count rules out foreign records.
    assert.equal(sequenceProblem(sequenceOf(file, tag), RECORDS), undefined, name);
    assert.equal(lines.length, RECORDS, `${name} holds only its own records`);
  }
  assert.equal(tagsSeen.size, PROCESSES, 'every process has its own file');
});
