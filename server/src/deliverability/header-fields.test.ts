import { describe, expect, it } from "vitest";
import { plainMessage, verifierOver, zoneOf } from "../test-support/deliverability-kit.js";
import { bytesToVerify, headerSection } from "./header-fields.js";

const crlf = (lines: string[]) => Buffer.from(lines.join("\r\n"));

describe("headerSection", () => {
  it("ends after the first empty line, CRLF or bare LF, as mailauth's parser reads it", () => {
    expect(headerSection(crlf(["From: a@x.test", "Subject: s", "", "body", ""])).toString()).toBe(
      "From: a@x.test\r\nSubject: s\r\n\r\n",
    );
    expect(headerSection(Buffer.from("From: a@x.test\n\nbody\n")).toString()).toBe("From: a@x.test\n\n");
    // A bare LF then CRLF is an empty line too (mailauth turns the bare LF into CRLF first).
    expect(headerSection(Buffer.from("From: a@x.test\n\r\nbody")).toString()).toBe("From: a@x.test\n\r\n");
  });

  it("is the whole message when there is no body", () => {
    const raw = Buffer.from("From: a@x.test\r\nSubject: s\r\n");
    expect(headerSection(raw)).toBe(raw);
  });
});

describe("bytesToVerify", () => {
  const body = "x".repeat(10_000);

  it("leaves out the body when no field makes DKIM or ARC hash it", () => {
    const raw = crlf(["From: a@x.test", "X-Dkim-Signature-Info: no", "", body]);
    expect(bytesToVerify(raw).toString()).toBe("From: a@x.test\r\nX-Dkim-Signature-Info: no\r\n\r\n");
  });

  it("keeps the whole message when a DKIM-Signature or any ARC field is present, in any case", () => {
    for (const field of [
      "DKIM-Signature: v=1",
      "dkim-signature:v=1",
      "ARC-Seal: i=1",
      "arc-authentication-results: i=1",
    ]) {
      const raw = crlf(["From: a@x.test", field, "", body]);
      expect(bytesToVerify(raw)).toBe(raw);
    }
  });

  it("gives DMARC the From domain of an unsigned message: it passes on aligned SPF", async () => {
    const zone = zoneOf(`
$ORIGIN example.test.
@       TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT "v=DMARC1; p=reject"
`);
    const raw = plainMessage({ from: "ada@example.test", text: body });
    const input = { ip: "192.0.2.10", helo: "mail.example.test", mailFrom: "ada@example.test" };
    const verifier = verifierOver(zone);
    expect(bytesToVerify(raw).length).toBeLessThan(raw.length / 10);
    const auth = await verifier.verify({ raw, ...input });
    expect(auth.dkim).toEqual([]);
    expect(auth.dmarc).toMatchObject({ result: "pass", fromDomain: "example.test" });
  });
});
