import type { ArcHop, ArcResult, ArcVerdict } from "@mailnest/protocol";
import type { MailauthArcResult, MailauthDkimVerification } from "./mailauth-types.js";

/** The ARC verdict (RFC 8617 section 5.2) from mailauth's `arc()`, with the sets that were found. */
export function arcVerdict(verification: MailauthDkimVerification, result: MailauthArcResult): ArcVerdict {
  const chain: ArcHop[] = [];
  for (const set of verification.arc?.chain || []) {
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
