import { describe, expect, it } from "vitest";
import type { MessageAuthentication } from "../api/types.js";
import { authBadge, toneOf, trustSentence } from "./auth-verdict.js";

describe("authentication at a glance", () => {
  it("reads pass as good, fail and permerror as bad, the doubtful words as a warning", () => {
    expect(["pass", "fail", "permerror", "softfail", "neutral", "temperror", "none"].map(toneOf)).toEqual([
      "pass",
      "fail",
      "fail",
      "warn",
      "warn",
      "warn",
      "none",
    ]);
  });

  it("badges DMARC when there is a record, else DKIM, else nothing", () => {
    expect(authBadge({ dkim: "pass", spf: "fail", dmarc: "fail", arc: "none" })).toEqual({
      label: "DMARC fail",
      tone: "fail",
      title: "DKIM pass · SPF fail · DMARC fail · ARC none",
    });
    expect(authBadge({ dkim: "pass", spf: "none", dmarc: "none", arc: "none" })?.label).toBe("DKIM pass");
    expect(authBadge({ dkim: "none", spf: "softfail", dmarc: "none", arc: "none" })).toBeNull();
  });

  it("says what a receiver would do with a DMARC failure", () => {
    const auth = {
      dkim: [],
      spf: { result: "softfail" },
      dmarc: {
        result: "fail",
        fromDomain: "example.test",
        appliedPolicy: "reject",
        alignedBy: [],
        reason: "no DKIM signature passed; SPF is softfail; the policy that applies is p=reject",
      },
    } as unknown as MessageAuthentication;
    expect(trustSentence(auth)).toBe(
      "Would be rejected: DMARC fails for example.test (p=reject). No DKIM signature passed; SPF is softfail; the policy that applies is p=reject.",
    );
    // pct=25: the policy for a quarter of failing mail, the next milder one for the rest.
    const sampled = { ...auth, dmarc: { ...auth.dmarc, percentage: 25 } } as MessageAuthentication;
    expect(trustSentence(sampled)).toMatch(
      /^Would be rejected for 25 % of such mail, else sent to spam: DMARC fails for example\.test \(p=reject\)\./,
    );
  });
});
