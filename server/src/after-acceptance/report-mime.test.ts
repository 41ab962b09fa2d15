import { describe, expect, it } from "vitest";
import type { ReturnedContent } from "./original-message.js";
import { buildGeneratedMessage, returnedContentType } from "./report-mime.js";

const utf8Header = Buffer.from("From: Zoë <zoë@example.test>\r\nSubject: Grüße\r\n\r\n");
const asciiHeader = Buffer.from("From: ann@example.test\r\nSubject: hello\r\n\r\n");
const headers = (header: Buffer): ReturnedContent => ({ kind: "headers", header, reason: null });
const full = (raw: Buffer): ReturnedContent => ({ kind: "full", raw });

describe("the part that returns the original", () => {
  it("in a DSN, is message/global-headers or message/global when the original's header holds UTF-8 (RFC 6533 6.3)", () => {
    expect(returnedContentType("delivery-status", headers(utf8Header))).toBe("message/global-headers");
    expect(returnedContentType("delivery-status", headers(asciiHeader))).toBe("text/rfc822-headers");
    expect(
      returnedContentType("delivery-status", full(Buffer.concat([utf8Header, Buffer.from("hi\r\n")]))),
    ).toBe("message/global");
    // 8-bit in the body alone is what message/rfc822 with 8bit carries.
    expect(
      returnedContentType("delivery-status", full(Buffer.concat([asciiHeader, Buffer.from("Grüße\r\n")]))),
    ).toBe("message/rfc822");
  });

  it("in a complaint (RFC 5965) keeps the types ARF names", () => {
    expect(returnedContentType("feedback-report", headers(utf8Header))).toBe("text/rfc822-headers");
    expect(returnedContentType("feedback-report", full(utf8Header))).toBe("message/rfc822");
  });

  it("is the type the built report declares", async () => {
    const { raw } = await buildGeneratedMessage({
      headers: [["Subject", "Undelivered Mail Returned to Sender"]],
      text: "sorry",
      report: {
        type: "delivery-status",
        contentType: "message/global-delivery-status",
        body: "Reporting-MTA: dns; mailnest.test\r\n",
        returned: headers(utf8Header),
      },
      hostname: "mailnest.test",
      date: new Date(0),
    });
    expect(raw.toString("utf8")).toContain(
      "Content-Type: message/global-headers\r\nContent-Transfer-Encoding: 8bit",
    );
  });
});
