/**
 * Logs before initLogging, then either never calls it or calls it where it
 * fails. Run as: node --import tsx tests/helpers/held-child.ts <never|fails|succeeds> [dir]
 */
import { getLogger, initLogging, LoggingSetupError } from '../../lib/logging.ts';

const [how, dir] = process.argv.slice(2);
const log = getLogger('automake.early');
log.info('held info');
log.warning('held warning \x1b[31m');
log.error('held error', { code: 42 });
if (how === 'succeeds') initLogging({ dir });
if (how === 'fails') {
  try {
    initLogging({ dir });
  } catch (error) {
    if (!(error instanceof LoggingSetupError)) throw error;
    process.stdout.write('setup failed\n');
  }
}
