// Startup subject: only import the logger (compiled to logging.mjs beside this
// file by bench.ts), to split the module's load time from initLogging's.
import { initLogging } from './logging.mjs';

if (typeof initLogging !== 'function') process.exit(1);
