import {
  type DkimSignatureVerdict,
  type DmarcPolicy,
  type DmarcVerdict,
  milderDmarcPolicy,
  type SpfVerdict,
} from "@mailnest/protocol";
import { getDomain } from "tldts";
import type { DnsLookupSession } from "./dns-lookup-session.js";
import { parseTagList } from "./tag-list.js";
import { dmarcVerdictWithout } from "./unfinished-verification.js";

/**
 * DMARC (RFC 7489), done here rather than by mailauth. mailauth 4.13's `dmarc()` gets strict
 * alignment wrong: mailauth/lib/dmarc/verify.js passes `{ strict: adkim === 's' }` as the third
 * argument of `getAlignment` (mailauth/lib/tools.js), which tests that argument for truthiness,
 * so the object always selects the strict branch; and that branch compares organizational
 * domains and then falls through to the relaxed comparison. So `adkim=s` and `aspf=s` act as
 * relaxed, and a signature by `mail.example.test` passes DMARC for `example.test` under
 * `adkim=s`. Mailnest compares the domains itself below (`aligns`), as section 3.1 says.
 */
export async function checkDmarc(
  session: DnsLookupSession,
  input: { fromAddresses: readonly string[]; dkim: readonly DkimSignatureVerdict[]; spf: SpfVerdict },
): Promise<DmarcVerdict> {
  const domains = [...new Set(input.fromAddresses.map((address) => domainOf(address)))];
  const fromDomain = domains.length === 1 ? (domains[0] as string) : "";
  const organizationalDomain = fromDomain === "" ? "" : organizationalDomainOf(fromDomain);
  const empty = dmarcVerdictWithout("none", "", { fromDomain, organizationalDomain });
  // Section 6.6.1: DMARC needs exactly one author domain.
  if (domains.length !== 1 || fromDomain === "") {
    const reason =
      domains.length <= 1
        ? "the message has no From address, so there is no domain to check"
        : `From names ${domains.length} domains (${domains.join(", ")}); DMARC needs exactly one`;
    return { ...empty, result: "permerror", reason };
  }

  // Section 6.6.3: the From domain's record, else the organizational domain's.
  let found: { name: string; text: string } | null;
  try {
    found = await recordAt(session, `_dmarc.${fromDomain}`);
    if (found === null && organizationalDomain !== fromDomain) {
      found = await recordAt(session, `_dmarc.${organizationalDomain}`);
    }
  } catch (error) {
    return {
      ...empty,
      result: "temperror",
      reason: `the DMARC record could not be looked up: ${(error as Error).message}`,
    };
  }
  if (found === null) {
    const names = [fromDomain, organizationalDomain].filter(
      (name, index, all) => all.indexOf(name) === index,
    );
    return { ...empty, reason: `no DMARC record at ${names.map((name) => `_dmarc.${name}`).join(" or ")}` };
  }

  const tags = parseTagList(found.text);
  const atOrganization = found.name !== `_dmarc.${fromDomain}`;
  const policy = policyOf(tags.get("p"));
  // Section 6.6.3: a record without a valid p= counts as p=none when it asks for reports, else as no record.
  const effective = policy ?? (tags.has("rua") ? "none" : null);
  const subdomainPolicy = policyOf(tags.get("sp")) ?? effective;
  const alignment = {
    dkim: tags.get("adkim")?.toLowerCase() === "s" ? "strict" : "relaxed",
    spf: tags.get("aspf")?.toLowerCase() === "s" ? "strict" : "relaxed",
  } as const;
  const sampled = atOrganization ? subdomainPolicy : effective;
  // Which tag decided, for the reason: sp= for a subdomain found through the organizational record.
  const policyTag = atOrganization && policyOf(tags.get("sp")) !== null ? "sp" : "p";
  const percentage = percentageOf(tags.get("pct"));
  const base: DmarcVerdict = {
    ...empty,
    record: found.text,
    recordName: found.name,
    policy: effective,
    subdomainPolicy,
    // Section 6.6.4: a message the sample leaves out gets the next milder policy; at pct=0, all do.
    appliedPolicy: percentage === 0 && sampled !== null ? milderDmarcPolicy(sampled) : sampled,
    percentage,
    alignment,
  };
  if (effective === null) {
    return { ...base, reason: `the record at ${found.name} has no valid p= tag, so DMARC does not apply` };
  }

  const passing = input.dkim.filter((signature) => signature.result === "pass");
  const dkimMatch = passing.find((signature) => aligns(signature.domain, fromDomain, alignment.dkim));
  const spfMatch = input.spf.result === "pass" && aligns(input.spf.domain, fromDomain, alignment.spf);
  const alignedBy: ("dkim" | "spf")[] = [];
  if (dkimMatch) alignedBy.push("dkim");
  if (spfMatch) alignedBy.push("spf");
  const verdict = {
    ...base,
    alignedBy,
    dkimDomain: dkimMatch?.domain ?? null,
    spfDomain: spfMatch ? input.spf.domain : null,
  };
  if (alignedBy.length > 0) {
    const how = [
      dkimMatch ? `DKIM (d=${dkimMatch.domain}, ${alignment.dkim})` : null,
      spfMatch ? `SPF (${input.spf.domain}, ${alignment.spf})` : null,
    ].filter((part) => part !== null);
    return { ...verdict, result: "pass", reason: `${fromDomain} is aligned through ${how.join(" and ")}` };
  }
  const dkimWhy =
    passing.length === 0
      ? "no DKIM signature passed"
      : `DKIM passed only for ${passing.map((signature) => `d=${signature.domain}`).join(", ")}, which does not align with ${fromDomain} under ${alignment.dkim} alignment`;
  const spfWhy =
    input.spf.result !== "pass"
      ? `SPF is ${input.spf.result}`
      : `SPF passed for ${input.spf.domain}, which does not align with ${fromDomain} under ${alignment.spf} alignment`;
  return {
    ...verdict,
    result: "fail",
    reason: `${dkimWhy}; ${spfWhy}; the policy that applies is ${policyTag}=${verdict.appliedPolicy}${sampling(policyTag, sampled, percentage)}`,
  };
}

/** `pct=` (section 6.3): a whole number 0–100; anything else is the default, 100. */
function percentageOf(value: string | undefined): number {
  const trimmed = value?.trim() ?? "";
  if (!/^\d{1,3}$/.test(trimmed)) return 100;
  const number = Number(trimmed);
  return Math.min(number, 100);
}

/** What `pct=` below 100 changes, in words for the reason. */
function sampling(tag: "p" | "sp", policy: DmarcPolicy | null, percentage: number): string {
  if (policy === null || policy === "none" || percentage === 100) return "";
  if (percentage === 0) {
    return ` (pct=0: ${tag}=${policy} is applied to no failing message; each gets the next milder policy)`;
  }
  return ` for ${percentage} % of failing mail (pct=${percentage}); the rest gets ${milderDmarcPolicy(policy)}`;
}

/**
 * Identifier alignment (RFC 7489 section 3.1): strict is the same domain; relaxed is the same
 * organizational domain.
 */
export function aligns(domain: string, fromDomain: string, mode: "strict" | "relaxed"): boolean {
  const a = domain.toLowerCase().replace(/\.$/, "");
  const b = fromDomain.toLowerCase().replace(/\.$/, "");
  if (a === "" || b === "") return false;
  if (mode === "strict") return a === b;
  return organizationalDomainOf(a) === organizationalDomainOf(b);
}

/**
 * The organizational domain from the public suffix list, as mailauth finds it (the same tldts
 * version and options), so `mail.example.test` belongs to `example.test`. A name that is itself a
 * public suffix, or has a single label, is its own organizational domain.
 */
export function organizationalDomainOf(domain: string): string {
  return getDomain(domain, { allowIcannDomains: true, allowPrivateDomains: true }) ?? domain;
}

async function recordAt(
  session: DnsLookupSession,
  name: string,
): Promise<{ name: string; text: string } | null> {
  let answers: unknown;
  try {
    answers = await session.resolve(name, "TXT");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOTFOUND" || code === "ENODATA") return null;
    throw error;
  }
  const records = (answers as string[][])
    .map((strings) => strings.join("").trim())
    .filter((text) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(text));
  // Section 6.6.3 step 2: several records are as good as none.
  return records.length === 1 ? { name, text: records[0] as string } : null;
}

function policyOf(value: string | undefined): DmarcPolicy | null {
  const policy = value?.trim().toLowerCase();
  return policy === "none" || policy === "quarantine" || policy === "reject" ? policy : null;
}

function domainOf(address: string): string {
  return (address.split("@").pop() ?? "").trim().toLowerCase().replace(/\.$/, "");
}
