/**
 * Argument parsing for the command line, on `node:util`'s `parseArgs`, with
 * our own one-line messages instead of Node's (which change between versions
 * and suggest things that make no sense here).
 */
import { parseArgs } from 'node:util';
import { parseSize } from '../logging.ts';
import { UsageError } from './errors.ts';

/** The flags a command takes, as `parseArgs` describes them. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parsed flags: strings for `string` flags, `true` for boolean flags that were given. */
export type FlagValues<T extends FlagSpec> = { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean };

export interface ParsedArgs<T extends FlagSpec> {
  values: FlagValues<T>;
  positionals: string[];
  /** How the user spelled each flag (`-n` or `--lines`), for messages that quote it back. */
  spelled: Partial<Record<keyof T, string>>;
}

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * Parses `args` for `command`: every command also takes `-h/--help`. Throws
 * `UsageError` for an unknown flag, a missing value, a value given to a
 * boolean flag, or more than `maxPositionals` arguments.
 */
export function parseCommandArgs<T extends FlagSpec>(
  args: string[],
  spec: T,
  command: string,
  maxPositionals: number,
): ParsedArgs<T & typeof HELP_FLAG> {
  const options = { ...spec, ...HELP_FLAG };
  // Not strict: we check the tokens ourselves so that every message names the flag as typed.
  const { values, positionals, tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const spelled: Record<string, string> = {};
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const option = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (option === undefined) throw new UsageError(`Unknown flag: ${token.rawName}`, command);
    if (option.type === 'string' && token.value === undefined) throw new UsageError(`Missing value for ${token.rawName}`, command);
    if (option.type === 'boolean' && token.value !== undefined) {
      throw new UsageError(`Flag takes no value: ${token.rawName}=${token.value}`, command);
    }
    spelled[token.name] = token.rawName;
  }
  if (positionals.length > maxPositionals) throw new UsageError(`Unexpected argument: ${positionals[maxPositionals]}`, command);
  return { values: values as FlagValues<T & typeof HELP_FLAG>, positionals, spelled: spelled as ParsedArgs<T>['spelled'] };
}

/** A whole number of lines for `-n`: digits only, so `-n -5`, `-n 1e3` and `-n abc` are refused. */
export function parseLineCount(text: string, flag: string, command: string): number {
  const count = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count)) throw new UsageError(`Invalid value for ${flag}: ${text} (expected a whole number of lines)`, command);
  return count;
}

/** A positive number of days, fractions allowed, as the core accepts for `retentionDays`. */
export function parseRetentionDays(text: string, flag: string, command: string): number {
  const days = text.trim() === '' ? NaN : Number(text);
  if (!(days > 0)) throw new UsageError(`Invalid value for ${flag}: ${text} (expected a positive number of days)`, command);
  return days;
}

/** A size as the environment takes it (`500M`, `2G`, `unlimited`; powers of 1024): the core's own parser. */
export function parseSizeFlag(text: string, flag: string, command: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UsageError(`Invalid value for ${flag}: ${text} (expected a size such as 500M, 2G or unlimited)`, command);
  return bytes;
}
