import type {
  ArcVerdict,
  DmarcVerdict,
  DnsLookup,
  DnsMode,
  MessageAuthentication,
  SpfVerdict,
} from "@mailnest/protocol";
import { authenticationResultsHeader } from "./authentication-results.js";
import { headerFieldsOf } from "./header-fields.js";
import type { VerificationInput } from "./message-verifier.js";
import { parseTagList } from "./tag-list.js";

/**
 * The verdicts of a verification that did not run or did not finish, and how any set of verdicts is
 * put together: apart from the verifier (`verify-message.ts`) because the main thread needs these
 * at once (a verification thread that timed out, a message too large to verify) while the verifier
 * itself, with the public suffix list behind DMARC, loads only if the main thread ever verifies.
 */

/** Verdicts for a verification that could not finish: every method `temperror`, with the reason. */
export function unfinishedAuthentication(
  input: VerificationInput,
  reason: string,
  context: { mode: DnsMode; authservId: string; lookups: DnsLookup[]; durationMs: number },
): MessageAuthentication {
  const spf: SpfVerdict = {
    result: "temperror",
    identity: input.mailFrom === "" ? "helo" : "mailfrom",
    domain: (input.mailFrom || input.helo).split("@").pop() ?? "",
    clientIp: input.ip,
    helo: input.helo,
    mailFrom: input.mailFrom,
    mechanism: null,
    record: null,
    lookups: 0,
    voidLookups: 0,
    reason,
  };
  const dmarc = dmarcVerdictWithout("temperror", reason);
  const arc: ArcVerdict = { result: "none", reason, chain: [] };
  const dkim = headerFieldsOf(input.raw)
    .filter((field) => field.name === "dkim-signature")
    .map((field) => {
      const tags = parseTagList(field.value);
      return {
        result: "temperror" as const,
        domain: (tags.get("d") ?? "").toLowerCase(),
        selector: (tags.get("s") ?? "").toLowerCase(),
        algorithm: (tags.get("a") ?? "").toLowerCase(),
        canonicalization: (tags.get("c") ?? "simple/simple").toLowerCase(),
        signedHeaders: [],
        reason,
        keyBits: null,
        keyRecord: null,
        aligned: false,
      };
    });
  return assembleAuthentication({ dkim, spf, dmarc, arc }, context);
}

/** A verdict that found no record (or could not look): nothing aligned, no policy. */
export function dmarcVerdictWithout(
  result: DmarcVerdict["result"],
  reason: string,
  domains: { fromDomain: string; organizationalDomain: string } = {
    fromDomain: "",
    organizationalDomain: "",
  },
): DmarcVerdict {
  return {
    result,
    ...domains,
    record: null,
    recordName: null,
    policy: null,
    subdomainPolicy: null,
    appliedPolicy: null,
    percentage: null,
    alignment: { dkim: "relaxed", spf: "relaxed" },
    alignedBy: [],
    dkimDomain: null,
    spfDomain: null,
    reason,
  };
}

/** The verdicts, their Authentication-Results header, and how they were reached. */
export function assembleAuthentication(
  verdicts: Pick<MessageAuthentication, "dkim" | "spf" | "dmarc" | "arc">,
  context: { mode: DnsMode; authservId: string; lookups: DnsLookup[]; durationMs: number },
): MessageAuthentication {
  return {
    ...verdicts,
    authenticationResults: authenticationResultsHeader(context.authservId, verdicts),
    dnsMode: context.mode,
    dnsLookups: context.lookups,
    durationMs: context.durationMs,
  };
}
