import { describe, expect, it } from "vitest";
import { plainMessage, verifierOver, zoneOf } from "../test-support/deliverability-kit.js";

describe("Authentication-Results", () => {
  it("has one line per method, reasons as escaped comments, and property values quoted when needed", async () => {
    const zone = zoneOf(
      `$ORIGIN example.test.\n@ TXT "v=spf1 ip4:192.0.2.0/24 -all"\n_dmarc TXT "v=DMARC1; p=none"\n`,
    );
    const auth = await verifierOver(zone).verify({
      raw: plainMessage({
        headers: { "DKIM-Signature": "v=1; a=rsa-sha256; d=example.test; s=s(1); h=from; bh=AAAA; b=BBBB" },
      }),
      ip: "192.0.2.10",
      helo: "mail.example.test",
      mailFrom: "ada@example.test",
    });

    expect(auth.authenticationResults.split("\r\n")).toEqual([
      "Authentication-Results: mx.mailnest.test;",
      ' dkim=fail (body hash did not verify: the body changed after signing) header.d=example.test header.s="s(1)" header.a=rsa-sha256;',
      ' spf=pass (192.0.2.10 is permitted by "ip4:192.0.2.0/24" in the SPF record of example.test) smtp.mailfrom=ada@example.test;',
      " dmarc=pass (p=NONE sp=NONE) header.from=example.test;",
      " arc=none",
    ]);
  });
});
