import { describe, expect, it } from "vitest";
import { canonicalHeaderKey, headerSection, parseHeaderFields } from "./raw-header.js";

describe("raw headers as Go's net/textproto reads them", () => {
  it("unfolds with one space, keeps encoded words, stops at the first empty line", () => {
    const raw = Buffer.from(
      "Subject: =?UTF-8?B?w6Q=?=\r\nTo: a@x,\r\n\t b@x\r\nbroken line\r\n\r\nBody: not a header\r\n",
    );
    expect(parseHeaderFields(headerSection(raw))).toEqual([
      { name: "Subject", value: "=?UTF-8?B?w6Q=?=" },
      { name: "To", value: "a@x, b@x" },
    ]);
    expect(headerSection(Buffer.from("A: 1\nB: 2\n\nbody"))).toBe("A: 1\nB: 2");
  });

  it("canonicalizes names like CanonicalMIMEHeaderKey, leaving odd ones alone", () => {
    expect(
      ["message-id", "MIME-Version", "x-tags", "DKIM-Signature", "bad key"].map(canonicalHeaderKey),
    ).toEqual(["Message-Id", "Mime-Version", "X-Tags", "Dkim-Signature", "bad key"]);
  });
});
