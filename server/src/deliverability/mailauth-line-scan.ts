/**
 * Two of mailauth 4.13's `MessageParser` methods (lib/dkim/message-parser.js, the base of its DKIM
 * verifier) replaced by versions that find line ends with `Buffer#indexOf`, a native scan, and give
 * exactly the same results. Upstream walks every byte of the header in JavaScript and, for each
 * one, pushes it onto an array and copies the array's last four entries into a new one; and it walks
 * every byte of the message once more looking for a bare LF. For a 2 KB signed message that was
 * about a tenth of a verification thread's time, most of it in garbage collection of those arrays
 * (docs/performance.md, 4 December).
 *
 * The replacements keep upstream's meaning to the byte, quirks included (its "last byte" before a
 * LF skips other LFs, so `\r\n\n` keeps its second LF bare), and the test beside this module checks
 * them against upstream's own methods on generated input cut into chunks at random places.
 */

const LF = 0x0a;
const CR = 0x0d;
const CRLF = Buffer.from("\r\n");

/** The state upstream's methods keep on the parser, and the two hooks they call. */
export interface MessageParserState {
  state: string;
  headerChunks: Buffer[];
  headers: unknown;
  lastByte?: number | undefined;
  /** Ours: the (up to) two bytes before the current chunk while still in the header. */
  headerTail?: number[] | undefined;
  messageHeaders(headers: unknown): Promise<void>;
  nextChunk(chunk: Buffer): Promise<void>;
}

type ParseHeaders = (buffer: Buffer) => unknown;

export interface MessageParserMethods {
  processChunk(this: MessageParserState, chunk: Buffer): Promise<void>;
  ensureLinebreaks(this: MessageParserState, input: Buffer): Generator<Buffer, void, undefined>;
}

/**
 * The methods, given mailauth's `parseHeaders` (lib/tools.js), which upstream calls on the header
 * once it has found its end: a LF right after a LF, or after CR LF.
 */
export function lineScanMethods(parseHeaders: ParseHeaders): MessageParserMethods {
  return {
    async processChunk(chunk) {
      if (!chunk || chunk.length === 0) return;
      if (this.state === "header") {
        const end = headerEnd(chunk, this.headerTail ?? []);
        if (end === -1) {
          this.headerTail = lastTwoBytes(this.headerTail ?? [], chunk);
          this.headerChunks.push(chunk);
          return;
        }
        this.state = "body";
        this.headerTail = undefined;
        const last = end === chunk.length - 1;
        this.headerChunks.push(last ? chunk : chunk.subarray(0, end + 1));
        this.headers = parseHeaders(Buffer.concat(this.headerChunks));
        await this.messageHeaders(this.headers);
        if (last) return;
        chunk = chunk.subarray(end + 1);
      }
      await this.nextChunk(chunk);
    },

    *ensureLinebreaks(input) {
      let pos = 0;
      // Upstream's `lastByte`: the last byte seen that was not a LF (LFs do not update it).
      let last = this.lastByte;
      for (let lf = input.indexOf(LF); lf !== -1; lf = input.indexOf(LF, lf + 1)) {
        if (lf > 0 && input[lf - 1] !== LF) last = input[lf - 1];
        if (last === CR) continue;
        yield lf === 0 || pos === lf ? Buffer.from(CRLF) : Buffer.concat([input.subarray(pos, lf), CRLF]);
        pos = lf + 1;
      }
      for (let index = input.length - 1; index >= 0; index -= 1) {
        if (input[index] !== LF) {
          this.lastByte = input[index];
          break;
        }
      }
      if (pos === 0) yield input;
      else if (pos < input.length) yield input.subarray(pos);
    },
  };
}

/**
 * Where the header ends in `chunk` (the index of the LF that ends it), or -1. `before` holds the
 * bytes just before the chunk, oldest first; a byte that does not exist matches nothing.
 */
function headerEnd(chunk: Buffer, before: readonly number[]): number {
  for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
    const b1 = lf >= 1 ? chunk[lf - 1] : before[before.length - 1];
    const b2 = lf >= 2 ? chunk[lf - 2] : lf === 1 ? before[before.length - 1] : before[before.length - 2];
    if (b1 === LF || (b1 === CR && b2 === LF)) return lf;
  }
  return -1;
}

function lastTwoBytes(before: readonly number[], chunk: Buffer): number[] {
  if (chunk.length >= 2) return [chunk[chunk.length - 2] as number, chunk[chunk.length - 1] as number];
  return [...before, ...chunk].slice(-2);
}

/**
 * Marks a replacement with what it replaced: a symbol from the global registry, so that a second
 * copy of this module (as a test runner may load) finds it.
 */
export const UPSTREAM = Symbol.for("mailnest.mailauth.upstream");

type Marked<T> = T & { [UPSTREAM]?: MessageParserMethods };

/**
 * Replaces the two methods on mailauth's `MessageParser.prototype` (the DKIM verifier and signer
 * inherit them), once: upstream's are kept on the replacement, for the equivalence test.
 */
export function installLineScan(prototype: MessageParserMethods, parseHeaders: ParseHeaders): void {
  if ((prototype.processChunk as Marked<MessageParserMethods["processChunk"]>)[UPSTREAM]) return;
  const upstream = { processChunk: prototype.processChunk, ensureLinebreaks: prototype.ensureLinebreaks };
  const methods = lineScanMethods(parseHeaders);
  (methods.processChunk as Marked<MessageParserMethods["processChunk"]>)[UPSTREAM] = upstream;
  Object.assign(prototype, methods);
}

/** Upstream's methods, if `installLineScan` replaced them on `prototype` (for tests). */
export function upstreamMethods(prototype: MessageParserMethods): MessageParserMethods | null {
  return (prototype.processChunk as Marked<MessageParserMethods["processChunk"]>)[UPSTREAM] ?? null;
}
