import { isIP } from "node:net";
import type { SpfResult, SpfVerdict } from "@mailnest/protocol";
import type { DnsLookupSession } from "./dns-lookup-session.js";
import type { DnsLookupError } from "./dns-resolver.js";
import { spfVerify } from "./mailauth-parts.js";
import type { MailauthSpfOutcome } from "./mailauth-types.js";

/** RFC 7208 section 4.6.4: DNS-querying terms per check, not counting the first TXT query. */
export const MAX_SPF_LOOKUPS = 10;
/** RFC 7208 section 4.6.4: lookups that find nothing (NXDOMAIN or no answer) before permerror. */
export const MAX_SPF_VOID_LOOKUPS = 2;

export interface SpfInput {
  /** The connecting IP (an IPv4-mapped IPv6 address counts as the IPv4 one). */
  ip: string;
  helo: string;
  /** MAIL FROM; "" for the null sender, when the HELO identity is checked instead (RFC 7208 section 2.3). */
  mailFrom: string;
  /** Named in the verdict's reason, as the receiving host. */
  authservId: string;
}

type SpfResolver = ((name: string, type: string, options?: { clientIpType?: 4 | 6 }) => Promise<unknown>) & {
  lookups(): number;
  voids(): number;
};

interface SpfFailure {
  error: "none" | "permerror" | "temperror";
  text: string;
  rr?: string;
}

/**
 * SPF for one message (RFC 7208): mailauth evaluates the record's terms (macros, CIDR, `ptr`...)
 * and Mailnest supplies the DNS, counts lookups and void lookups, and words the verdict. The
 * counting follows mailauth's own `limitedResolver` (mailauth/lib/spf/index.js), which is not
 * exported: every DNS-querying term counts once (an `a` term's A and AAAA queries together), the
 * A/AAAA lookups of one `mx` or `ptr` term have their own limit of 10, and the 11th lookup or the
 * 3rd void lookup is a permerror.
 */
export async function checkSpf(session: DnsLookupSession, input: SpfInput): Promise<SpfVerdict> {
  const ip = input.ip.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
  // mailauth's authenticate() does the same: no HELO means the IP, and an IP is written [1.2.3.4].
  const heloName = input.helo || ip;
  const helo = isIP(heloName) ? `[${heloName}]` : heloName;
  const identity = input.mailFrom === "" ? "helo" : "mailfrom";
  const sender = identity === "helo" ? `postmaster@${helo}` : withLocalPart(input.mailFrom);
  const domain = (sender.split("@").pop() ?? "").toLowerCase().trim();
  const base = { identity, domain, clientIp: ip, helo, mailFrom: input.mailFrom } as const;

  if (!/^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+[a-z0-9-]*[a-z][a-z0-9-]*$/i.test(domain)) {
    const what = identity === "helo" ? `the HELO name "${helo}"` : `the MAIL FROM domain "${domain}"`;
    return {
      ...base,
      result: "none",
      mechanism: null,
      record: null,
      lookups: 0,
      voidLookups: 0,
      reason: `no SPF check: ${what} is not a domain name`,
    };
  }

  const resolver = limitedResolver(session.resolve, true, MAIN_LIMIT);
  let outcome: MailauthSpfOutcome | false;
  try {
    outcome = await spfVerify(domain, {
      sender,
      ip,
      mta: input.authservId,
      helo,
      resolver,
      createSubResolver: () => limitedResolver(session.resolve, false, HOST_LIMIT),
    });
  } catch (error) {
    const failure = (error as { spfResult?: SpfFailure }).spfResult;
    outcome = failure ?? { error: "temperror", text: (error as Error).message };
  }
  const counts = { lookups: resolver.lookups(), voidLookups: resolver.voids() };
  if (outcome === false) {
    // spfVerify gives up only on an IP it cannot read; Mailnest always passes the socket's.
    return {
      ...base,
      ...counts,
      result: "neutral",
      mechanism: null,
      record: null,
      reason: `"${ip}" is not an IP address`,
    };
  }
  const record = outcome.rr ?? null;
  if (outcome.error !== undefined) {
    const result = outcome.error as SpfResult;
    return {
      ...base,
      ...counts,
      result,
      mechanism: null,
      record,
      reason: errorReason(result, domain, outcome.text ?? ""),
    };
  }
  const qualifier = outcome.qualifier ?? "?";
  const result = QUALIFIERS[qualifier] ?? "neutral";
  const mechanism = outcome.type ? termOf(outcome, record) : null;
  return {
    ...base,
    ...counts,
    result,
    mechanism,
    record,
    reason: matchReason(result, ip, recordOwner(record, mechanism, domain), outcome, mechanism),
  };
}

const QUALIFIERS: Record<string, SpfResult> = { "+": "pass", "-": "fail", "~": "softfail", "?": "neutral" };

function matchReason(
  result: SpfResult,
  ip: string,
  domain: string,
  outcome: MailauthSpfOutcome,
  mechanism: string | null,
): string {
  if (mechanism === null)
    return `no term of the SPF record of ${domain} matched ${ip}, so the result is neutral`;
  const inner = outcome.include?.type ? ` (by ${termOf(outcome.include, null)} in ${outcome.val})` : "";
  switch (result) {
    case "pass":
      return `${ip} is permitted by "${mechanism}"${inner} in the SPF record of ${domain}`;
    case "fail":
      return `${ip} is not permitted: "${mechanism}" in the SPF record of ${domain} fails it`;
    case "softfail":
      return `${ip} is probably not permitted: "${mechanism}" in the SPF record of ${domain} soft-fails it`;
    default:
      return `${ip} matched "${mechanism}" in the SPF record of ${domain}, which says neither yes nor no`;
  }
}

function errorReason(result: SpfResult, domain: string, text: string): string {
  // The lookup limits are Mailnest's resolvers' (`limitedResolver`), whose errors say which was hit.
  if (result === "none") return /no SPF records? found/i.test(text) ? `${domain} has no SPF record` : text;
  return text;
}

const MAIN_LIMIT = `the check needs more than ${MAX_SPF_LOOKUPS} DNS lookups (RFC 7208 section 4.6.4)`;
const HOST_LIMIT = `an mx or ptr term names more than ${MAX_SPF_LOOKUPS} hosts to look up (RFC 7208 section 4.6.4)`;

/**
 * Whose SPF record the matching term is in: a `redirect=` hands the check to another domain's
 * record, and a term found there is not in the sender domain's (mailauth reports the first record).
 */
function recordOwner(record: string | null, mechanism: string | null, domain: string): string {
  if (record === null || mechanism === null) return domain;
  const terms = record.toLowerCase().split(/\s+/);
  const target = terms.find((term) => term.startsWith("redirect="))?.slice("redirect=".length);
  if (target === undefined || terms.includes(mechanism.toLowerCase())) return domain;
  return `${target.replace(/\.$/, "")} (reached through redirect= from ${domain})`;
}

/**
 * The term that matched, as the record writes it when it can be found there (`a:mail.example.test`,
 * `-all`), else rebuilt from what mailauth reports (it reports an `a` term by the record's domain).
 */
function termOf(outcome: MailauthSpfOutcome, record: string | null): string {
  const qualifier = outcome.qualifier ?? "+";
  const type = outcome.type ?? "";
  const candidates = (record ?? "")
    .split(/\s+/)
    .slice(1)
    .filter((term) => {
      const match = /^([+?~-]?)([a-z0-9]+)/i.exec(term);
      return match !== null && (match[1] || "+") === qualifier && match[2]?.toLowerCase() === type;
    });
  const byValue = candidates.filter(
    (term) => outcome.val !== undefined && term.toLowerCase().includes(outcome.val.toLowerCase()),
  );
  if (candidates.length === 1) return candidates[0] as string;
  if (byValue.length === 1) return byValue[0] as string;
  return `${qualifier === "+" ? "" : qualifier}${type}${outcome.val && type !== "a" ? `:${outcome.val}` : ""}`;
}

function withLocalPart(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return `postmaster@${address}`;
  return at === 0 ? `postmaster${address}` : address;
}

/** The domain check mailauth's own limiter applies before any query. */
const QUERYABLE = /^([\x20-\x2D\x2f-\x7e]+\.)+[a-z]+[a-z\-0-9]*$/i;

function limitedResolver(
  resolve: (name: string, type: string) => Promise<unknown>,
  firstIsFree: boolean,
  overLimit: string,
): SpfResolver {
  let lookups = 0;
  let voids = 0;
  let free = firstIsFree;
  const resolver = async (name: string, type: string, options?: { clientIpType?: 4 | 6 }) => {
    // The first query, for the sender domain's own record, is neither a term's lookup nor a void
    // one when it finds nothing: that is "no SPF record" (result none).
    const recordQuery = free;
    if (free) free = false;
    else lookups += 1;
    if (lookups > MAX_SPF_LOOKUPS) throw spfError("permerror", overLimit);
    if (!QUERYABLE.test(name)) throw spfError("permerror", `Invalid domain ${name}`);
    try {
      if (options?.clientIpType && (type === "A" || type === "AAAA")) {
        return await dualStack(resolve, name, options.clientIpType);
      }
      return await resolve(name, type);
    } catch (error) {
      if ((error as { spfResult?: unknown }).spfResult) throw error;
      const code = (error as DnsLookupError).code;
      if (code === "ENOTFOUND" || code === "ENODATA") {
        if (recordQuery) return [];
        voids += 1;
        if (voids > MAX_SPF_VOID_LOOKUPS) {
          throw spfError(
            "permerror",
            `more than ${MAX_SPF_VOID_LOOKUPS} lookups found no record (RFC 7208 section 4.6.4)`,
          );
        }
        return [];
      }
      if (code === "ETIMEOUT") throw spfError("temperror", `the DNS lookup of ${name} timed out`);
      throw spfError("temperror", `the DNS lookup of ${name} failed: ${(error as Error).message}`);
    }
  };
  return Object.assign(resolver, { lookups: () => lookups, voids: () => voids });
}

/**
 * An `a` or `mx` host is void only when it has neither A nor AAAA records, so that an IPv4-only
 * host does not count against an IPv6 client (as mailauth does); the answers are those of the
 * client's family.
 */
async function dualStack(
  resolve: (name: string, type: string) => Promise<unknown>,
  name: string,
  family: 4 | 6,
): Promise<unknown> {
  const [a, aaaa] = await Promise.allSettled([resolve(name, "A"), resolve(name, "AAAA")]);
  const own = family === 6 ? aaaa : a;
  const other = family === 6 ? a : aaaa;
  if (own.status === "fulfilled") return own.value;
  const ownVoid = isVoid(own.reason);
  if (!ownVoid) throw own.reason;
  if (other.status === "rejected" && isVoid(other.reason)) throw own.reason;
  return [];
}

function isVoid(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "ENOTFOUND" || code === "ENODATA";
}

function spfError(error: SpfFailure["error"], text: string): Error {
  return Object.assign(new Error(text), { spfResult: { error, text } });
}
