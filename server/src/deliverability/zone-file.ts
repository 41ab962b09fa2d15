import { readFile } from "node:fs/promises";
import type { DnsRecord } from "@mailnest/protocol";
import { DEFAULT_TTL, InvalidDnsRecordError, normalizeDnsName, toDnsRecord } from "./dns-record.js";

/** A zone file Mailnest cannot read; the message is one line: `file:line: what is wrong`. */
export class ZoneFileError extends Error {
  override name = "ZoneFileError" as const;
  readonly file: string;
  readonly line: number;

  /** `line` 0: about the file as a whole (it cannot be read, or is too large), not one of its lines. */
  constructor(file: string, line: number, problem: string) {
    super(line === 0 ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
    this.file = file;
    this.line = line;
  }
}

/** A record and the line it starts on. */
export interface ZoneFileRecord {
  record: DnsRecord;
  line: number;
}

/** Largest zone file read: far more than `MAX_ZONE_RECORDS` records of ordinary size. */
const MAX_ZONE_FILE_BYTES = 16 * 1024 * 1024;

/** Reads and parses a zone file; every problem is a `ZoneFileError` naming the file and line. */
export async function readZoneFile(path: string): Promise<ZoneFileRecord[]> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_ZONE_FILE_BYTES) {
      throw new ZoneFileError(path, 0, `the file is larger than ${MAX_ZONE_FILE_BYTES / 1024 / 1024} MiB`);
    }
    text = bytes.toString("utf8");
  } catch (error) {
    if (error instanceof ZoneFileError) throw error;
    throw new ZoneFileError(path, 0, `cannot read the zone file: ${(error as Error).message}`);
  }
  return parseZoneFile(text, path);
}

/**
 * The BIND master-file format (RFC 1035 section 5) for the records a mail-authentication zone
 * needs:
 *
 * ```
 * $ORIGIN example.test.
 * $TTL 300
 * @                 IN TXT   "v=spf1 ip4:192.0.2.0/24 -all"
 * _dmarc            IN TXT   "v=DMARC1; p=reject; adkim=s"
 * s1._domainkey     IN TXT   ( "v=DKIM1; k=rsa; "
 *                              "p=MIIBIjANBgkqh..." )     ; strings are joined
 * mail              IN A     192.0.2.10
 *                   IN AAAA  2001:db8::10               ; blank owner: the previous one
 * @                 IN MX    10 mail
 * s2._domainkey     IN CNAME s2.dkim.provider.test.
 * ```
 *
 * Names without a final dot are relative to `$ORIGIN`; `@` is the origin. TTL and class (`IN`)
 * are optional and may come in either order; TTLs take BIND's units (`1h`, `30m`, `1d`, `1w`).
 * Quoted strings take `\"`, `\\` and `\DDD` escapes; `;` starts a comment; parentheses continue a
 * record over lines. SOA and NS records are read and ignored; `$INCLUDE` and `$GENERATE` are not
 * supported, nor are wildcards.
 */
export function parseZoneFile(text: string, file = "zone"): ZoneFileRecord[] {
  const records: ZoneFileRecord[] = [];
  let origin: string | null = null;
  let defaultTtl: number | null = null;
  let previousOwner: string | null = null;

  for (const entry of logicalLines(text, file)) {
    const fail = (problem: string): never => {
      throw new ZoneFileError(file, entry.line, problem);
    };
    const tokens = [...entry.tokens];
    const first = tokens[0];
    if (first === undefined) continue;

    if (!first.quoted && first.text.startsWith("$")) {
      const directive = first.text.toUpperCase();
      const argument = tokens[1];
      if (directive === "$ORIGIN") {
        if (argument === undefined) fail("$ORIGIN needs a domain name");
        origin = name(argument!.text, null, fail);
      } else if (directive === "$TTL") {
        if (argument === undefined) fail("$TTL needs a time");
        defaultTtl = ttlOf(argument!.text) ?? fail(`$TTL "${argument!.text}" is not a time`);
      } else {
        fail(`${first.text} is not supported (only $ORIGIN and $TTL are)`);
      }
      continue;
    }

    let owner: string;
    if (entry.blankOwner) {
      owner = previousOwner ?? fail("the record has no owner name and there is no previous record");
    } else {
      const token = tokens.shift()!;
      owner =
        token.text === "@" ? (origin ?? fail('"@" used before $ORIGIN')) : name(token.text, origin, fail);
    }
    previousOwner = owner;

    let ttl: number | null = null;
    for (let i = 0; i < 2; i += 1) {
      const token = tokens[0];
      if (token === undefined || token.quoted) break;
      if (token.text.toUpperCase() === "IN") {
        tokens.shift();
      } else if (/^\d/.test(token.text) && ttl === null) {
        ttl = ttlOf(token.text) ?? fail(`TTL "${token.text}" is not a time`);
        tokens.shift();
      } else if (/^(CH|HS|CS)$/i.test(token.text)) {
        fail(`class ${token.text} is not supported; records are IN`);
      }
    }
    const typeToken = tokens.shift() ?? fail("the record has no type");
    const type = typeToken.text.toUpperCase();
    if (type === "SOA" || type === "NS") continue;
    const data = tokens;
    let value: string;
    switch (type) {
      case "TXT":
        if (data.length === 0) fail("TXT needs at least one string");
        value = data.map((token) => token.text).join("");
        break;
      case "A":
      case "AAAA":
        if (data.length !== 1) fail(`${type} takes one address`);
        value = data[0]!.text;
        break;
      case "CNAME":
        if (data.length !== 1) fail("CNAME takes one name");
        value = name(data[0]!.text, origin, fail);
        break;
      case "MX":
        if (data.length !== 2) fail("MX takes a preference and an exchange");
        value = `${data[0]!.text} ${data[1]!.text === "." ? "." : name(data[1]!.text, origin, fail)}`;
        break;
      case "SPF":
        fail("SPF-type records are obsolete (RFC 7208 section 3.1): publish the policy as TXT");
        break;
      default:
        fail(
          `record type "${typeToken.text}" is not supported (TXT, A, AAAA, MX and CNAME are; SOA and NS are ignored)`,
        );
    }
    try {
      records.push({
        record: toDnsRecord({ name: owner, type, value: value!, ttl: ttl ?? defaultTtl ?? DEFAULT_TTL }),
        line: entry.line,
      });
    } catch (error) {
      if (error instanceof InvalidDnsRecordError) fail(error.message);
      throw error;
    }
  }
  return records;
}

interface Token {
  text: string;
  quoted: boolean;
}

interface LogicalLine {
  /** Where the record starts. */
  line: number;
  /** The line began with whitespace: the owner is the previous record's. */
  blankOwner: boolean;
  tokens: Token[];
}

/** Splits the file into records: tokens up to a line break outside parentheses and quotes. */
function* logicalLines(text: string, file: string): Generator<LogicalLine> {
  let line = 1;
  let current: LogicalLine | null = null;
  let depth = 0;
  let parenthesisLine = 0;
  let atLineStart = true;
  let i = 0;
  const begin = (blankOwner: boolean): LogicalLine => {
    current ??= { line, blankOwner, tokens: [] };
    return current;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === "\n") {
      line += 1;
      i += 1;
      atLineStart = true;
      if (depth === 0 && current !== null) {
        yield current;
        current = null;
      }
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      if (atLineStart && depth === 0 && current === null) begin(true);
      atLineStart = false;
      i += 1;
      continue;
    }
    atLineStart = false;
    if (c === ";") {
      while (i < text.length && text[i] !== "\n") i += 1;
      continue;
    }
    if (c === "(") {
      if (depth === 0) parenthesisLine = line;
      begin(false);
      depth += 1;
      i += 1;
      continue;
    }
    if (c === ")") {
      if (depth === 0) throw new ZoneFileError(file, line, '")" without "("');
      depth -= 1;
      i += 1;
      continue;
    }
    const record = begin(false);
    if (c === '"') {
      const startLine = line;
      let value = "";
      i += 1;
      for (;;) {
        if (i >= text.length) throw new ZoneFileError(file, startLine, "unterminated quoted string");
        const d = text[i]!;
        if (d === '"') {
          i += 1;
          break;
        }
        if (d === "\n") throw new ZoneFileError(file, startLine, "unterminated quoted string");
        if (d === "\\") {
          const escaped = readEscape(text, i);
          if (escaped === null) throw new ZoneFileError(file, line, "bad escape in quoted string");
          value += escaped.text;
          i = escaped.next;
          continue;
        }
        value += d;
        i += 1;
      }
      if (value.length > 255) {
        throw new ZoneFileError(
          file,
          startLine,
          `a quoted string holds at most 255 characters (this one has ${value.length}); split it`,
        );
      }
      record.tokens.push({ text: value, quoted: true });
      continue;
    }
    let word = "";
    while (i < text.length && !/[\s;()"]/.test(text[i]!)) {
      if (text[i] === "\\") {
        const escaped = readEscape(text, i);
        if (escaped === null) throw new ZoneFileError(file, line, "bad escape");
        word += escaped.text;
        i = escaped.next;
      } else {
        word += text[i];
        i += 1;
      }
    }
    record.tokens.push({ text: word, quoted: false });
  }
  if (depth > 0) throw new ZoneFileError(file, parenthesisLine, '"(" is never closed');
  if (current !== null) yield current;
}

/** `\X` is X; `\DDD` is the character with that decimal code (RFC 1035 section 5.1). */
function readEscape(text: string, at: number): { text: string; next: number } | null {
  const digits = /^\d{3}/.exec(text.slice(at + 1, at + 4));
  if (digits) {
    const code = Number(digits[0]);
    return code > 255 ? null : { text: String.fromCharCode(code), next: at + 4 };
  }
  const next = text[at + 1];
  if (next === undefined || next === "\n") return null;
  return { text: next, next: at + 2 };
}

function name(text: string, origin: string | null, fail: (problem: string) => never): string {
  const absolute = text.endsWith(".");
  if (!absolute && origin === null) fail(`"${text}" is relative (no final dot) and there is no $ORIGIN`);
  const full = absolute ? text : `${text}.${origin}`;
  try {
    return normalizeDnsName(full);
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** Seconds, or BIND's `1w2d3h4m5s` form. */
function ttlOf(text: string): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(text);
  if (!match || text === "") return null;
  const [, w = 0, d = 0, h = 0, m = 0, s = 0] = match;
  return Number(w) * 604800 + Number(d) * 86400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
}
