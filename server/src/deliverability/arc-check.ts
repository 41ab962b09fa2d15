import type { ArcHop, ArcResult, ArcVerdict } from "@mailnest/protocol";
import type { HeaderField } from "./header-fields.js";
import type { MailauthArcResult, MailauthDkimVerification } from "./mailauth-types.js";
import { parseTagList } from "./tag-list.js";

/**
 * The ARC verdict (RFC 8617 section 5.2) from mailauth's `arc()`, with the sets that were found.
 * When mailauth could not assemble the chain (a seal with `cv=fail`, a set missing a field), it
 * reports none; the hops are then read from the message's own ARC-Seal fields, so a failing
 * verdict still shows which forwarders sealed it.
 */
export function arcVerdict(
  verification: MailauthDkimVerification,
  result: MailauthArcResult,
  seals: readonly HeaderField[],
): ArcVerdict {
  const chain: ArcHop[] = [];
  const sets = verification.arc?.chain || [];
  if (sets.length === 0) chain.push(...hopsOf(seals));
  for (const set of sets) {
    const seal = set["arc-seal"]?.parsed ?? {};
    chain.push({
      instance: Number(set.i),
      domain: String(seal.d?.value ?? "").toLowerCase(),
      selector: String(seal.s?.value ?? "").toLowerCase(),
      cv: String(seal.cv?.value ?? "").toLowerCase(),
    });
  }
  const word = result.status.result;
  const verdict: ArcResult = word === "pass" || word === "fail" ? word : "none";
  let reason: string | null = null;
  if (verdict === "fail") {
    const comment = result.status.comment ?? "";
    reason = comment ? `the ARC chain did not validate: ${comment}` : "the ARC chain did not validate";
  } else if (verdict === "none" && verification.arc?.error) {
    reason = `the ARC header fields could not be read: ${verification.arc.error.message}`;
  }
  return { result: verdict, reason, chain };
}

function hopsOf(seals: readonly HeaderField[]): ArcHop[] {
  return seals
    .map((field) => {
      const tags = parseTagList(field.value);
      return {
        instance: Number(tags.get("i") ?? Number.NaN),
        domain: (tags.get("d") ?? "").toLowerCase(),
        selector: (tags.get("s") ?? "").toLowerCase(),
        cv: (tags.get("cv") ?? "").toLowerCase(),
      };
    })
    .filter((hop) => Number.isInteger(hop.instance))
    .sort((a, b) => a.instance - b.instance);
}
