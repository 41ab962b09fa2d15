import { milderDmarcPolicy } from "@mailnest/protocol";
import type { AuthenticationSummary, MessageAuthentication } from "../api/types.js";

/** How a result word reads at a glance: good, bad, doubtful, or nothing to say. */
export type Tone = "pass" | "fail" | "warn" | "none";

export function toneOf(result: string): Tone {
  if (result === "pass") return "pass";
  if (result === "fail" || result === "permerror") return "fail";
  if (result === "none") return "none";
  return "warn"; // softfail, neutral, policy, temperror
}

/**
 * The list badge: DMARC when the From domain has a record (that is what decides trust), else DKIM
 * when the message is signed; nothing for an unsigned message without DMARC.
 */
export function authBadge(
  summary: AuthenticationSummary,
): { label: string; tone: Tone; title: string } | null {
  const title = `DKIM ${summary.dkim} · SPF ${summary.spf} · DMARC ${summary.dmarc} · ARC ${summary.arc}`;
  if (summary.dmarc !== "none")
    return { label: `DMARC ${summary.dmarc}`, tone: toneOf(summary.dmarc), title };
  if (summary.dkim !== "none") return { label: `DKIM ${summary.dkim}`, tone: toneOf(summary.dkim), title };
  return null;
}

/** One sentence for the top of the Authentication tab: would a receiver trust this message? */
export function trustSentence(auth: MessageAuthentication): string {
  const { dmarc } = auth;
  if (dmarc.result === "pass") {
    return `Would be trusted: DMARC passes for ${dmarc.fromDomain} (aligned through ${dmarc.alignedBy.map((id) => id.toUpperCase()).join(" and ")}).`;
  }
  if (dmarc.result === "fail") {
    const policy = dmarc.appliedPolicy ?? "none";
    // Verdicts stored before `percentage` existed have none: their record was read as pct=100.
    const percentage = dmarc.percentage ?? 100;
    const sampled =
      percentage > 0 && percentage < 100 && policy !== "none"
        ? ` for ${percentage} % of such mail, else ${effectOf(milderDmarcPolicy(policy))}`
        : "";
    return `Would be ${effectOf(policy)}${sampled}: DMARC fails for ${dmarc.fromDomain} (p=${policy}). ${sentence(dmarc.reason)}`;
  }
  const dkim = auth.dkim.some((signature) => signature.result === "pass");
  const spf = auth.spf.result === "pass";
  const passing = [dkim ? "DKIM" : null, spf ? "SPF" : null].filter(Boolean).join(" and ");
  return `No DMARC verdict (${dmarc.result}): ${dmarc.reason}. ${passing ? `${passing} pass${passing.includes(" and ") ? "" : "es"}.` : "Neither DKIM nor SPF passes."}`;
}

function effectOf(policy: "none" | "quarantine" | "reject"): string {
  return policy === "reject"
    ? "rejected"
    : policy === "quarantine"
      ? "sent to spam"
      : "delivered, but reported";
}

/** "no DKIM signature passed; …" → "No DKIM signature passed; ….": a reason as a sentence. */
function sentence(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith(".") ? "" : "."}`;
}
