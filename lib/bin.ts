#!/usr/bin/env node
/**
 * The `automake` bin (docs/design.md §10 "Starts fast"), plain JavaScript once built
 * (dist/bin.js): it turns on Node's compile cache, then runs the command line. With
 * the cache (Node 22.8 and later), V8's compiled code of dist/ is kept in the system
 * temp dir, and a later start reads it instead of compiling the command line again;
 * Node 20 has no such cache and compiles it at every start.
 */
import * as nodeModule from 'node:module';

// Before the command line is imported: the cache serves only modules loaded after this call.
// The types are the oldest supported Node's (20), which lacks it.
if ('enableCompileCache' in nodeModule) (nodeModule.enableCompileCache as () => unknown)();
await import('./main.ts');
