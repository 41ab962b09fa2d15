import { describe, expect, it } from "vitest";
import type { DkimSignatureVerdict, MessageAuthentication } from "./authentication.js";
import { summarizeAuthentication } from "./authentication.js";

function withSignatures(...results: DkimSignatureVerdict["result"][]): MessageAuthentication {
  return {
    dkim: results.map((result) => ({ result }) as DkimSignatureVerdict),
    spf: { result: "softfail" },
    dmarc: { result: "fail" },
    arc: { result: "none" },
  } as MessageAuthentication;
}

describe("summarizeAuthentication: the one meaning of dkim=…", () => {
  it("is pass when any signature passes, whatever the others say", () => {
    expect(summarizeAuthentication(withSignatures("fail", "pass", "permerror")).dkim).toBe("pass");
  });

  it("is the first signature's result when none passes, and none when unsigned", () => {
    expect(summarizeAuthentication(withSignatures("permerror", "fail")).dkim).toBe("permerror");
    expect(summarizeAuthentication(withSignatures())).toEqual({
      dkim: "none",
      spf: "softfail",
      dmarc: "fail",
      arc: "none",
    });
  });
});
