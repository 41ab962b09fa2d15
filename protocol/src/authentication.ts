/**
 * The deliverability lab (issue #12): SPF, DKIM, DMARC and ARC verdicts for a captured message,
 * computed offline against DNS records the test controls, and the shapes of those records and of
 * the DKIM keys Mailnest creates. Result words are those of RFC 8601 section 2.7.
 */

/** RFC 8601 section 2.7.1. */
export const DKIM_RESULTS = ["pass", "fail", "neutral", "policy", "temperror", "permerror", "none"] as const;
export type DkimResult = (typeof DKIM_RESULTS)[number];

/** RFC 7208 section 2.6. */
export const SPF_RESULTS = ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"] as const;
export type SpfResult = (typeof SPF_RESULTS)[number];

/** RFC 7489 section 11.2. */
export const DMARC_RESULTS = ["pass", "fail", "none", "temperror", "permerror"] as const;
export type DmarcResult = (typeof DMARC_RESULTS)[number];

/** RFC 8617 section 4.4 (`cv`), plus `none` for a message without an ARC set. */
export const ARC_RESULTS = ["pass", "fail", "none"] as const;
export type ArcResult = (typeof ARC_RESULTS)[number];

/**
 * Where the verifier looks names up:
 * - `zone` (the default): only the records Mailnest was given; any other name is NXDOMAIN and
 *   nothing leaves the machine;
 * - `system`: the system's DNS resolvers, bounded by a short total timeout per message (a lookup
 *   that does not finish in time is a `temperror`);
 * - `zone-then-system`: a name the zone knows is answered from the zone, any other from the system.
 */
export const DNS_MODES = ["zone", "system", "zone-then-system"] as const;
export type DnsMode = (typeof DNS_MODES)[number];

/** The record types a zone holds. SOA and NS lines of a zone file are read and ignored. */
export const DNS_RECORD_TYPES = ["TXT", "A", "AAAA", "MX", "CNAME"] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** Records in one zone, all names together. */
export const MAX_ZONE_RECORDS = 10_000;
/** Longest record value: room for a 16384-bit RSA DKIM key (about 2,800 characters). */
export const MAX_DNS_RECORD_VALUE_LENGTH = 4096;
/** Longest domain name (RFC 1035 section 2.3.4, without the final dot). */
export const MAX_DNS_NAME_LENGTH = 253;
/** CNAMEs followed for one lookup before it is answered SERVFAIL. */
export const MAX_CNAME_CHAIN = 8;
/** DKIM signatures verified per message; later ones are reported as `policy`, not verified. */
export const MAX_DKIM_SIGNATURES_VERIFIED = 10;
/** Largest RSA key verified; larger ones are a `permerror` (verifying is not bounded otherwise). */
export const MAX_DKIM_KEY_BITS = 16_384;
/** Smallest RSA key accepted (RFC 8301 section 3.2); smaller ones are a `policy` result. */
export const MIN_DKIM_KEY_BITS = 1024;
/** DNS lookups recorded in a message's `dnsLookups`. */
export const MAX_RECORDED_DNS_LOOKUPS = 64;

/**
 * One record. `name` is lowercase, without the final dot. `value` is the record data as a zone
 * file writes it without quotes: the whole text of a TXT record (its 255-byte strings joined), an
 * address for A and AAAA, `preference exchange` for MX (`10 mx.example.test`), a name for CNAME.
 */
export interface DnsRecord {
  /** @maxLength 253 */
  name: string;
  type: DnsRecordType;
  /** @maxLength 4096 */
  value: string;
  /**
   * Seconds; informational (the zone answers from memory).
   * @minimum 0
   */
  ttl: number;
}

/** `POST /api/dns/records`: `ttl` defaults to 300. */
export interface DnsRecordRequest {
  /** @maxLength 253 */
  name: string;
  type: DnsRecordType;
  /** @maxLength 4096 */
  value: string;
  /** @minimum 0 */
  ttl?: number;
}

export interface DnsRecordList {
  mode: DnsMode;
  records: DnsRecord[];
}

export const DKIM_KEY_ALGORITHMS = ["rsa", "ed25519"] as const;
export type DkimKeyAlgorithm = (typeof DKIM_KEY_ALGORITHMS)[number];
/** RSA sizes a key request may ask for; 2048 is the default. */
export const DKIM_RSA_KEY_BITS = [1024, 2048, 3072, 4096] as const;

/** `POST /api/dns/dkim-keys`. */
export interface DkimKeyRequest {
  domain: string;
  /** A DNS label, e.g. `s1` (the key is published at `s1._domainkey.<domain>`). */
  selector: string;
  /** Default `rsa`. */
  algorithm?: DkimKeyAlgorithm;
  /** RSA only: 1024, 2048 (default), 3072 or 4096. */
  bits?: number;
}

/** A key pair whose public half is now in the zone. */
export interface DkimKey {
  domain: string;
  selector: string;
  algorithm: DkimKeyAlgorithm;
  /** 2048 for a default RSA key, 256 for Ed25519. */
  bits: number;
  /** PKCS#8 PEM: what nodemailer's `dkim.privateKey` and most signers take. */
  privateKeyPem: string;
  /** The TXT record that was published. */
  record: DnsRecord;
}

/** One lookup the verifier made for a message, in the order made. */
export interface DnsLookup {
  name: string;
  /** TXT, A, AAAA, MX, PTR… */
  type: string;
  /** The answers as zone-file values (TXT strings joined); empty on an error. */
  answers: string[];
  /** null, or what went wrong: "NXDOMAIN", "NODATA", "timeout", "SERVFAIL: CNAME chain too long"… */
  error: string | null;
  /** Who answered: Mailnest's zone (NXDOMAIN for any name it lacks in `zone` mode) or the system's DNS. */
  source: "zone" | "system";
}

/** One DKIM-Signature header field and what became of it. */
export interface DkimSignatureVerdict {
  result: DkimResult;
  /** `d=`: the signing domain. */
  domain: string;
  /** `s=` */
  selector: string;
  /** `a=`, e.g. "rsa-sha256", "ed25519-sha256". */
  algorithm: string;
  /** `c=`, e.g. "relaxed/relaxed". */
  canonicalization: string;
  /** `h=`, lowercased. */
  signedHeaders: string[];
  /** Why it did not pass, in words ("body hash did not verify"); null on a pass. */
  reason: string | null;
  /** Size of the public key in bits, when one was found (256 for Ed25519). */
  keyBits: number | null;
  /** The key record consulted at `<selector>._domainkey.<domain>`, or null. */
  keyRecord: string | null;
  /** Whether `d=` aligns with the From domain under the DMARC record's `adkim` (relaxed by default). */
  aligned: boolean;
}

export interface SpfVerdict {
  result: SpfResult;
  /** Which identity was checked: MAIL FROM, or the HELO name when MAIL FROM is the null sender. */
  identity: "mailfrom" | "helo";
  /** The domain whose policy was evaluated. */
  domain: string;
  /** The connecting IP as SPF saw it. */
  clientIp: string;
  helo: string;
  mailFrom: string;
  /**
   * The mechanism that decided, as written in the record (`ip4:192.0.2.0/24`, `-all`,
   * `include:_spf.example.test`); null when none matched (neutral by default) or on an error.
   */
  mechanism: string | null;
  /** The SPF record of `domain`, or null. */
  record: string | null;
  /** DNS-querying terms evaluated (RFC 7208 section 4.6.4: at most 10). */
  lookups: number;
  /** Lookups that found no record (at most 2). */
  voidLookups: number;
  /** The verdict in words. */
  reason: string;
}

export type DmarcPolicy = "none" | "quarantine" | "reject";

/**
 * RFC 7489 section 6.6.4: the policy a failing message gets when `pct=`'s sample leaves it out, the
 * next milder one (reject → quarantine → none).
 */
export function milderDmarcPolicy(policy: DmarcPolicy): DmarcPolicy {
  return policy === "reject" ? "quarantine" : "none";
}

export interface DmarcVerdict {
  result: DmarcResult;
  /** The RFC5322.From domain ("" when From has no single address). */
  fromDomain: string;
  /** The organizational domain of `fromDomain` (public suffix list). */
  organizationalDomain: string;
  /** The DMARC record found, or null. */
  record: string | null;
  /** Where it was found: `_dmarc.<fromDomain>` or `_dmarc.<organizationalDomain>`. */
  recordName: string | null;
  /** `p=` */
  policy: DmarcPolicy | null;
  /** `sp=`, or `p=` when the record has none. */
  subdomainPolicy: DmarcPolicy | null;
  /**
   * What a receiver would apply to this message: `sp` for a subdomain found via the org record; with
   * `pct=0`, the next milder policy (RFC 7489 section 6.6.4: no failing message is sampled).
   */
  appliedPolicy: DmarcPolicy | null;
  /**
   * `pct=`: the share of failing mail, 0–100, that `appliedPolicy` is applied to; the rest gets the
   * next milder one (reject → quarantine → none). 100 when the record has none; null without a record.
   */
  percentage: number | null;
  alignment: { dkim: "relaxed" | "strict"; spf: "relaxed" | "strict" };
  /** The identifiers that passed and aligned ([] on a fail). */
  alignedBy: ("dkim" | "spf")[];
  /** The `d=` of the aligned passing signature, or null. */
  dkimDomain: string | null;
  /** The SPF-authenticated domain when it aligned, or null. */
  spfDomain: string | null;
  /** The verdict in words. */
  reason: string;
}

export interface ArcHop {
  /** `i=` */
  instance: number;
  /** `d=` of the ARC-Seal */
  domain: string;
  /** `s=` of the ARC-Seal */
  selector: string;
  /** `cv=` of the ARC-Seal */
  cv: string;
}

export interface ArcVerdict {
  result: ArcResult;
  /** Why the chain failed, in words; null otherwise. */
  reason: string | null;
  /** The ARC sets found, oldest first. */
  chain: ArcHop[];
}

/** Every verdict for one message, computed once when it was received. */
export interface MessageAuthentication {
  /** One entry per DKIM-Signature, in header order; [] for an unsigned message. */
  dkim: DkimSignatureVerdict[];
  spf: SpfVerdict;
  dmarc: DmarcVerdict;
  arc: ArcVerdict;
  /** The Authentication-Results header field (RFC 8601) Mailnest would add, name included. */
  authenticationResults: string;
  dnsMode: DnsMode;
  /**
   * The lookups made, in order (at most 64). For unsigned mail whose verdicts were reused from an
   * earlier message with the same envelope (docs/authentication.md), the lookups made for that one.
   */
  dnsLookups: DnsLookup[];
  /** @minimum 0 */
  durationMs: number;
}

/** What a list row carries: one word per method. */
export interface AuthenticationSummary {
  /** `pass` when any signature passes, else the first signature's result; `none` when unsigned. */
  dkim: DkimResult;
  spf: SpfResult;
  dmarc: DmarcResult;
  arc: ArcResult;
}

/** The list-row summary of a message's verdicts; the one definition of "dkim=pass" for filters. */
export function summarizeAuthentication(auth: MessageAuthentication): AuthenticationSummary {
  const dkim = auth.dkim.some((signature) => signature.result === "pass")
    ? "pass"
    : (auth.dkim[0]?.result ?? "none");
  return { dkim, spf: auth.spf.result, dmarc: auth.dmarc.result, arc: auth.arc.result };
}
