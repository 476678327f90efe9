// Startup subject: import the logger, initLogging() on an empty directory, log
// one line, and end as a program would. bench.ts copies this file next to
// lib/logging.ts compiled to logging.mjs, so it runs as plain JavaScript.
//
//   node startup.mjs EMPTY_DIR
import { initLogging } from './logging.mjs';

initLogging({ dir: process.argv[2] }).logger.info('Started');
