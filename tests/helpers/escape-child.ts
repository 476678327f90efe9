/**
 * Logs one record per character U+0000..U+00A0 (and a few beyond), each between
 * clean filler records, so that both chunks with and without control characters
 * reach the encoder. Run as: node --import tsx tests/helpers/escape-child.ts <dir> <text|json>
 */
import { initLogging } from '../../lib/logging.ts';

const [dir, format] = process.argv.slice(2);
if (dir === '--probe') {
  process.stdout.write(`WebAssembly: ${typeof (globalThis as { WebAssembly?: unknown }).WebAssembly}\n`);
  process.exit(0);
}
const session = initLogging({ dir, format: format === 'json' ? 'json' : 'text' });
const log = session.logger;
export const SPECIAL = [...Array.from({ length: 0xa1 }, (_, code) => String.fromCharCode(code)), '°', '€', '\ud800', '😀'];
let filler = 0;
for (const char of SPECIAL) {
  for (let i = 0; i < 300; i++) log.info(`filler ${filler++}`);
  log.info(`char ${char.codePointAt(0)!.toString(16)}: a${char}b`);
}
