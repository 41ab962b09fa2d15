import { createPublicKey } from "node:crypto";
import { createRequire } from "node:module";
import { requireWithoutJoi } from "./mailauth-base64-check.js";
import { type DkimVerifierClass, verifyDkimDirectly } from "./mailauth-direct-verify.js";
import { fasterHeaderParser, type HeaderParser } from "./mailauth-header-parser.js";
import { installLineScan, type MessageParserMethods } from "./mailauth-line-scan.js";
import type {
  MailauthArcResult,
  MailauthDkimVerification,
  MailauthResolver,
  MailauthSpfOptions,
  MailauthSpfOutcome,
} from "./mailauth-types.js";

/**
 * The parts of mailauth 4.13 that Mailnest uses (their types: `mailauth-types.ts`). This is the only
 * module that loads mailauth, so an upgrade is checked here and by the tests beside it.
 *
 * `authenticate()` is not used: it composes these same parts, but its SPF step drops the mechanism
 * that matched and its DMARC step gets strict alignment wrong (see `dmarc-check.ts`), so Mailnest
 * composes them itself (`verify-message.ts`) the same way, minus BIMI (which fetches over HTTP).
 */
const require = createRequire(import.meta.url);

interface MailauthModule {
  dkimVerify(
    input: Buffer,
    options: { resolver: MailauthResolver; minBitLength?: number },
  ): Promise<MailauthDkimVerification>;
  arc(
    data: unknown,
    options: { resolver: MailauthResolver; minBitLength?: number },
  ): Promise<MailauthArcResult>;
}

type GetPublicKey = (
  type: string,
  name: string,
  minBitLength: number | undefined,
  resolver: MailauthResolver,
) => Promise<{ publicKey: unknown; rr: string; modulusLength?: number }>;

interface MailauthParts {
  mailauth: MailauthModule;
  spfVerify(domain: string, options: MailauthSpfOptions): Promise<MailauthSpfOutcome | false>;
}

let loaded: MailauthParts | null = null;

/**
 * Loaded on first use, not at import: the parts still take about 170 ms to load here (400 ms with
 * mailauth's entry point, below), and most runs verify on worker threads, so the main thread's
 * fallback verifier may never need them.
 */
function load(): MailauthParts {
  if (loaded) return loaded;
  /**
   * mailauth turns every key record into a KeyObject, exports it as PEM, and `crypto.verify` parses
   * that PEM again: three key parses per signature, the largest single cost of verifying a small
   * message. This wraps mailauth's `getPublicKey` (lib/tools.js) before the modules that call it load
   * and bind it: the lookup still goes through Mailnest's resolver every time (so every lookup is
   * recorded and a changed record takes effect at once), but the key parsed from a given record text
   * is kept, as a KeyObject, which `crypto.verify` takes without parsing anything.
   */
  // Without joi, which it loads for one check (mailauth-base64-check.ts).
  const tools = requireWithoutJoi(require, "mailauth/lib/tools.js") as {
    getPublicKey: GetPublicKey;
    parseHeaders: (buffer: Buffer) => unknown;
    parseDkimHeaders: HeaderParser;
  };
  // Its tag=value parser appends one character at a time (mailauth-header-parser.ts); the DKIM
  // verifier and ARC take it from these exports when they load, below.
  tools.parseDkimHeaders = fasterHeaderParser(tools.parseDkimHeaders);
  const parseKey = tools.getPublicKey;
  const parsedKeys = new Map<string, Awaited<ReturnType<GetPublicKey>>>();
  tools.getPublicKey = async (type, name, minBitLength, resolver) => {
    const answers = (await resolver(name, "TXT")) as string[][] | undefined;
    const text = answers?.[0]?.join("") ?? "";
    const cacheKey = `${type} ${minBitLength ?? ""} ${text}`;
    const cached = parsedKeys.get(cacheKey);
    if (cached) return cached;
    const parsed = await parseKey(type, name, minBitLength, async () => answers);
    const entry = {
      ...parsed,
      publicKey: typeof parsed.publicKey === "string" ? createPublicKey(parsed.publicKey) : parsed.publicKey,
    };
    if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.delete(parsedKeys.keys().next().value as string);
    parsedKeys.set(cacheKey, entry);
    return entry;
  };

  // Its message parser looks for line ends one byte at a time (mailauth-line-scan.ts).
  const { MessageParser } = require("mailauth/lib/dkim/message-parser.js") as {
    MessageParser: { prototype: MessageParserMethods };
  };
  installLineScan(MessageParser.prototype, tools.parseHeaders);

  // The parts' own files, not mailauth's entry point: that also loads BIMI and its VMC validation
  // (undici, the ASN.1/X.509 parsers: about 700 of the 1,300 files a verification thread compiled),
  // which Mailnest never calls. The package has no `exports` map, and its version is pinned.
  // Its verifier driven without the Writable stream `dkimVerify` wraps it in (mailauth-direct-verify.ts).
  const { DkimVerifier } = require("mailauth/lib/dkim/dkim-verifier.js") as {
    DkimVerifier: DkimVerifierClass;
  };
  const dkimVerify: MailauthModule["dkimVerify"] = (input, options) =>
    verifyDkimDirectly(DkimVerifier, input, options);
  const { arc } = require("mailauth/lib/arc/index.js") as Pick<MailauthModule, "arc">;
  const { spfVerify } = require("mailauth/lib/spf/spf-verify.js") as Pick<MailauthParts, "spfVerify">;
  loaded = { mailauth: { dkimVerify, arc }, spfVerify };
  return loaded;
}

/** Loads the parts now rather than at the first verification (re-exported by `verify-message.ts`). */
export function loadMailauthParts(): void {
  load();
}

/** Distinct key records kept; a test run publishes a few dozen. */
const MAX_PARSED_KEYS = 500;

export const dkimVerify: MailauthModule["dkimVerify"] = (input, options) =>
  load().mailauth.dkimVerify(input, options);
export const verifyArc: MailauthModule["arc"] = (data, options) => load().mailauth.arc(data, options);
export const spfVerify: MailauthParts["spfVerify"] = (domain, options) => load().spfVerify(domain, options);
