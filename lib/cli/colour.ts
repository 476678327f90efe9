/** Colour for the terminal: when to use it, and the few colours `logs view` uses. */
import { LEVEL_VALUES } from '../logging.ts';

/**
 * Whether to colour output to `stream`: `FORCE_COLOR` (set, and not `0` or
 * `false`) turns it on, then `NO_COLOR` (set and not empty) off; otherwise only
 * on a terminal whose `TERM` is not `dumb`. As Node's own `getColorDepth` ranks them.
 */
export function useColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined> = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const RESET = '\x1b[0m';

/** `text` in SGR colour `code`. */
export function paint(text: string, code: string): string {
  return `\x1b[${code}m${text}${RESET}`;
}

/** The colour of a level, or undefined for those printed plain (DEBUG, INFO). */
export function levelColour(level: number): string | undefined {
  if (level >= LEVEL_VALUES.CRITICAL) return '1;31';
  if (level >= LEVEL_VALUES.ERROR) return '31';
  if (level >= LEVEL_VALUES.WARNING) return '33';
  return undefined;
}

// Green, blue, magenta, cyan and their bright forms: none is a level's colour.
const SESSION_COLOURS = ['32', '34', '35', '36', '92', '94', '95', '96'];

/** One colour per session, given in the order sessions are first seen. */
export class SessionColours {
  private readonly assigned = new Map<number, string>();

  of(pid: number): string {
    let colour = this.assigned.get(pid);
    if (colour === undefined) {
      colour = SESSION_COLOURS[this.assigned.size % SESSION_COLOURS.length];
      this.assigned.set(pid, colour);
    }
    return colour;
  }
}
