/**
 * Copy-paste vendoring (docs/design.md §1, §11): lib/logging.ts copied alone into an
 * empty project type-checks under the strictest flags with TypeScript 5.0, the
 * latest 5.x and the project's own; runs under tsx and under Node's own type
 * stripping (Node 24: Node 20 cannot strip types); and imports nothing but `node:fs`.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { ROOT, startChild } from './helpers/child.ts';
import { tempDir } from './helpers/log-files.ts';
import { TIMESTAMP } from './helpers/records.ts';
import { installTool, TOOLS, type Installed } from './helpers/tools.ts';

const SOURCE = path.join(ROOT, 'lib', 'logging.ts');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PROJECT_TS_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The source with comments removed and every string literal replaced by a
 * placeholder `"<n>"` whose text is `strings[n]`; regular expression literals are
 * skipped whole, so quotes or slashes inside them mislead nothing.
 */
function lex(source: string): { code: string; strings: string[] } {
  const strings: string[] = [];
  let code = '';
  let i = 0;
  // Whether a "/" here would start a regular expression rather than divide.
  const regexAllowed = () => {
    const before = code.trimEnd();
    if (before === '') return true;
    if (/[(,=:[!&|?{};+\-*%<>~^]$/.test(before)) return true;
    return /\b(return|typeof|case|do|else|in|of|void|yield|await|throw|new|delete|instanceof)$/.test(before);
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      assert.ok(end >= 0, 'unterminated comment');
      i = end + 2;
      code += ' ';
    } else if (c === "'" || c === '"' || c === '`') {
      let text = '';
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === '\\') {
          text += source[i] + source[i + 1];
          i += 2;
        } else {
          // Template substitutions are kept as text: an import inside one is caught below anyway.
          text += source[i++];
        }
      }
      i++;
      code += `"${strings.length}"`;
      strings.push(text);
    } else if (c === '/' && regexAllowed()) {
      let inClass = false;
      i++;
      while (i < source.length && (inClass || source[i] !== '/')) {
        if (source[i] === '\\') i++;
        else if (source[i] === '[') inClass = true;
        else if (source[i] === ']') inClass = false;
        i++;
      }
      i++;
      code += '/re/';
    } else {
      code += c;
      i++;
    }
  }
  return { code, strings };
}

/** Every module specifier the file imports or requires, and every import/require the scan could not read. */
function moduleSpecifiers(source: string): { specifiers: string[]; unreadable: string[] } {
  const { code, strings } = lex(source);
  const specifiers: string[] = [];
  const unreadable: string[] = [];
  const forms = [
    /\bimport\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*"(\d+)"/y, // import x from '…', import * as x from '…', import { a } from '…'
    /\bimport\s*"(\d+)"/y, // import '…'
    /\bimport\s*\(\s*"(\d+)"\s*\)/y, // import('…')
    /\brequire\s*\(\s*"(\d+)"\s*\)/y, // require('…')
    /\bexport\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*"(\d+)"/y, // export … from '…'
  ];
  for (const keyword of code.matchAll(/\b(import|require|export)\b/g)) {
    let found = false;
    for (const form of forms) {
      form.lastIndex = keyword.index;
      const match = form.exec(code);
      if (match) {
        specifiers.push(strings[Number(match[1])]);
        found = true;
        break;
      }
    }
    // `export function …` and friends are no imports; `import.meta` is none either.
    if (!found && keyword[1] !== 'export' && !code.startsWith('import.meta', keyword.index)) {
      unreadable.push(code.slice(keyword.index, keyword.index + 60));
    }
  }
  return { specifiers, unreadable };
}

test('the import scan reads every form of import and require', () => {
  const sample = [
    "import * as fs from 'node:fs';",
    'import { a, b as c } from "./x.ts";',
    "import type { T } from 'y';",
    "import 'side-effect';",
    "const m = await import('dyn');",
    "const r = require('cjs');",
    "export { z } from 'reexport';",
    "// import nope from 'commented';",
    "/* require('commented') */",
    "const s = 'import fake from \"string\"';",
    'const re = /["\'\\/]import/g;',
  ].join('\n');
  const { specifiers, unreadable } = moduleSpecifiers(sample);
  assert.deepEqual(specifiers, ['node:fs', './x.ts', 'y', 'side-effect', 'dyn', 'cjs', 'reexport']);
  assert.deepEqual(unreadable, []);
});

test('lib/logging.ts imports node:fs and nothing else', () => {
  const source = fs.readFileSync(SOURCE, 'utf8');
  // The scan saw the whole file: no regular expression or string swallowed code.
  const { code } = lex(source);
  for (const name of ['initLogging', 'getLogger', 'pruneOldLogs', 'logFileTime', 'logFileName', 'defaultLogDir']) {
    assert.match(code, new RegExp(`\\bexport\\s+function\\s+${name}\\b`), name);
  }
  assert.match(code, /\bexport\s+class\s+LoggingSetupError\b/);
  const { specifiers, unreadable } = moduleSpecifiers(source);
  assert.deepEqual(unreadable, [], 'every import or require in the file is one the scan can read');
  assert.deepEqual(specifiers, ['node:fs']);
});

/** A project holding nothing but a copy of lib/logging.ts, with node_modules linked for @types/node and tsx. */
function vendoredProject(t: Parameters<typeof tempDir>[0]): string {
  const project = tempDir(t, 'automake-vendor-');
  fs.mkdirSync(path.join(project, 'src'));
  fs.copyFileSync(SOURCE, path.join(project, 'src', 'logging.ts'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'vendoring-app', private: true, type: 'module' }));
  return project;
}

/** The flags of a strict codebase, beyond `strict` itself (docs/design.md §11). */
const STRICTER = {
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true,
  noImplicitOverride: true,
  noImplicitReturns: true,
};

const COMPILERS = [
  { name: 'TypeScript 5.0', install: () => installTool(TOOLS.typescript50), version: '5.0.4', isolatedDeclarations: false },
  { name: 'the latest TypeScript 5', install: () => installTool(TOOLS.typescript5), version: '5.9.3', isolatedDeclarations: true },
  { name: "the project's own TypeScript", install: async (): Promise<Installed> => ({ path: TSC }), version: PROJECT_TS_VERSION, isolatedDeclarations: true },
];

for (const compiler of COMPILERS) {
  // isolatedDeclarations came with TypeScript 5.5.
  const flags = compiler.isolatedDeclarations ? 'strict, every stricter flag and isolatedDeclarations' : 'strict and every stricter flag';
  test(`lib/logging.ts copied alone type-checks with ${compiler.name} (${compiler.version}) under ${flags}`, async (t) => {
    const installed = await compiler.install();
    if (!('path' in installed)) return t.skip(installed.skip);
    const project = vendoredProject(t);
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        ...STRICTER,
        ...(compiler.isolatedDeclarations ? { isolatedDeclarations: true, declaration: true } : {}),
        noEmit: true,
        types: ['node'],
      },
      files: ['src/logging.ts'],
    }, null, 2));
    const version = execFileSync(process.execPath, [installed.path, '--version'], { encoding: 'utf8' });
    assert.equal(version.trim(), `Version ${compiler.version}`, 'the compiler this test names');
    let output = '';
    try {
      output = execFileSync(process.execPath, [installed.path, '-p', project], { cwd: project, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      assert.fail(`${compiler.name} failed on the vendored copy:\n${stdout ?? ''}${stderr ?? ''}`);
    }
    assert.equal(output.trim(), '');
  });
}

/** The vendored project with an app that logs one record into the directory it is given and prints the file's path. */
function vendoredApp(t: Parameters<typeof tempDir>[0]): { project: string; app: string; logDir: string } {
  const project = vendoredProject(t);
  const app = path.join(project, 'src', 'app.ts');
  fs.writeFileSync(app, [
    "import { initLogging, getLogger, type LogSession } from './logging.ts';",
    'const session: LogSession = initLogging({ dir: process.argv[2]!, env: {} });',
    "getLogger('automake.vendored').info('hello from a vendored copy', { answer: 42 });",
    'await session.close();',
    'process.stdout.write(session.filePath + "\\n");',
  ].join('\n'));
  return { project, app, logDir: path.join(project, 'logs') };
}

function assertOneRecord(result: { code: number | null; stdout: string; stderr: string }, logDir: string): void {
  assert.equal(result.code, 0, result.stderr);
  const filePath = result.stdout.trim();
  assert.equal(path.dirname(filePath), logDir);
  const text = fs.readFileSync(filePath, 'utf8');
  // Between the session's header and end records (docs/design.md §9).
  assert.match(text, new RegExp(`^${TIMESTAMP} - automake - INFO - Session started .*\\n${TIMESTAMP} - automake\\.vendored - INFO - hello from a vendored copy answer=42\\n${TIMESTAMP} - automake - INFO - Session ended exitCode=0 .*\\n$`));
}

test('lib/logging.ts copied alone runs under tsx: initLogging, then a line in the file', async (t) => {
  const { project, app, logDir } = vendoredApp(t);
  // `--import tsx` as the project would write it, found from the project's own directory.
  const argv = [process.execPath, '--import', 'tsx', app, logDir];
  assertOneRecord(await startChild(argv, { cwd: project, input: '', timeoutMs: 15_000 }).done, logDir);
});

test("lib/logging.ts copied alone runs under Node 24's own type stripping, with no loader", async (t) => {
  const node24 = await installTool(TOOLS.node24);
  if (!('path' in node24)) return t.skip(node24.skip);
  const { project, app, logDir } = vendoredApp(t);
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(node24.path, [app, logDir], { cwd: project, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
  assertOneRecord(result, logDir);
});
