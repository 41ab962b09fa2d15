/**
 * Frames the bytes a client sends into IMAP commands: lines, and the literals (`{n}` / `{n+}`)
 * announced at the end of a line (RFC 3501 section 4.3, RFC 7888 LITERAL+). Nothing is buffered
 * beyond the caps: a line longer than `maxLineBytes`, a literal larger than `maxLiteralBytes`, or a
 * command larger than `maxCommandBytes` is refused from its announcement, before its bytes are read.
 */

/** A command as received: the text of its lines (byte strings) and the literals between them. */
export type CommandPart = { line: string } | { literal: Buffer };

export interface ReaderLimits {
  maxLineBytes: number;
  maxLiteralBytes: number;
  maxCommandBytes: number;
}

export type ReaderEvent =
  /** A complete command (or, when the session awaits one, a continuation line such as IDLE's DONE). */
  | { kind: "command"; parts: CommandPart[] }
  /** A synchronizing literal is announced and accepted: the session sends "+ …" to let the client go on. */
  | { kind: "continue" }
  /**
   * A command was refused before it was complete. `fatal` when its bytes are already on their way
   * and cannot be skipped (a non-synchronizing literal over the cap): the session says BYE.
   */
  | { kind: "refused"; tag: string | null; reason: string; code: "TOOBIG" | null; fatal: boolean };

const LITERAL_AT_END = /\{(\d{1,20})(\+?)\}$/;

export class CommandReader {
  readonly #limits: ReaderLimits;
  #buffer: Buffer = Buffer.alloc(0);
  #parts: CommandPart[] = [];
  #commandBytes = 0;
  /** Bytes of the literal still expected. */
  #literalLeft = 0;
  #literalChunks: Buffer[] = [];
  /** Skipping the rest of an over-long line. */
  #discarding = false;

  constructor(limits: ReaderLimits) {
    this.#limits = limits;
  }

  /** Feeds received bytes; returns what they complete, in order. */
  push(chunk: Buffer): ReaderEvent[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const events: ReaderEvent[] = [];
    for (;;) {
      if (this.#literalLeft > 0) {
        if (this.#buffer.length === 0) break;
        const take = Math.min(this.#literalLeft, this.#buffer.length);
        this.#literalChunks.push(this.#buffer.subarray(0, take));
        this.#buffer = this.#buffer.subarray(take);
        this.#literalLeft -= take;
        if (this.#literalLeft > 0) break;
        this.#parts.push({ literal: Buffer.concat(this.#literalChunks) });
        this.#literalChunks = [];
        continue;
      }
      const newline = this.#buffer.indexOf(0x0a);
      if (newline === -1) {
        if (this.#buffer.length > this.#limits.maxLineBytes) {
          if (!this.#discarding) events.push(this.#refuse("line too long", null, false));
          this.#discarding = true;
          this.#buffer = Buffer.alloc(0);
        }
        break;
      }
      const end = newline > 0 && this.#buffer[newline - 1] === 0x0d ? newline - 1 : newline;
      const tooLong = end > this.#limits.maxLineBytes;
      const line = tooLong ? "" : this.#buffer.toString("latin1", 0, end);
      this.#buffer = this.#buffer.subarray(newline + 1);
      if (this.#discarding) {
        this.#discarding = false;
        continue;
      }
      if (tooLong) {
        events.push(this.#refuse("line too long", null, false));
        continue;
      }
      const event = this.#line(line);
      if (event) events.push(event);
      if (event?.kind === "refused" && event.fatal) break;
    }
    return events;
  }

  /** Forgets everything buffered (after STARTTLS: nothing sent in plain text may be read as if it were protected). */
  reset(): void {
    this.#buffer = Buffer.alloc(0);
    this.#parts = [];
    this.#commandBytes = 0;
    this.#literalLeft = 0;
    this.#literalChunks = [];
    this.#discarding = false;
  }

  /** Bytes received and not yet handed out (a session pauses reading when a client races ahead). */
  get buffered(): number {
    return this.#buffer.length;
  }

  #line(line: string): ReaderEvent | null {
    this.#commandBytes += line.length + 2;
    this.#parts.push({ line });
    if (this.#commandBytes > this.#limits.maxCommandBytes) {
      return this.#refuse("command too long", "TOOBIG", false);
    }
    const literal = LITERAL_AT_END.exec(line);
    if (!literal) {
      const parts = this.#parts;
      this.#parts = [];
      this.#commandBytes = 0;
      return { kind: "command", parts };
    }
    const size = Number(literal[1]);
    const synchronizing = literal[2] === "";
    if (size > this.#limits.maxLiteralBytes || this.#commandBytes + size > this.#limits.maxCommandBytes) {
      // A synchronizing literal is never sent before our "+": refusing it costs nothing. A
      // non-synchronizing one is already on its way; skipping a gigabyte is no service to anyone.
      return this.#refuse(
        `literal of ${size} bytes is larger than ${this.#limits.maxLiteralBytes}`,
        "TOOBIG",
        !synchronizing,
      );
    }
    this.#commandBytes += size;
    if (size === 0) {
      this.#parts.push({ literal: Buffer.alloc(0) });
      return synchronizing ? { kind: "continue" } : null;
    }
    this.#literalLeft = size;
    return synchronizing ? { kind: "continue" } : null;
  }

  #refuse(reason: string, code: "TOOBIG" | null, fatal: boolean): ReaderEvent {
    const first = this.#parts[0];
    const tag = first && "line" in first ? (/^([^\s(){%*"\\\]]+)/.exec(first.line)?.[1] ?? null) : null;
    this.#parts = [];
    this.#commandBytes = 0;
    return { kind: "refused", tag, reason, code, fatal };
  }
}
