import { describe, expect, it } from "vitest";
import { visibleText } from "../smtp/visible-text.js";
import { matchesVisibleText, prepareFilter } from "./match-query.js";
import type { MessageSummary } from "./model.js";

const summary: MessageSummary = {
  id: "01jz0000000000000000000000",
  sequence: 7,
  inboxes: ["qa+signup@mailnest.test"],
  mailFrom: "bounce@mailer.test",
  rcptTo: ["QA+Signup@mailnest.test", "audit@mailnest.test"],
  messageId: "<x@y>",
  subject: "Confirm your E-mail",
  from: [{ name: "Acme Accounts", address: "no-reply@acme.test" }],
  to: [{ name: "", address: "qa+signup@mailnest.test" }],
  cc: [{ name: "Support Team", address: "support@acme.test" }],
  date: null,
  receivedAt: "2025-07-01T10:00:00.000Z",
  receivedTime: Date.parse("2025-07-01T10:00:00.000Z"),
  duplicateOf: null,
  size: 1000,
  sha256: "0".repeat(64),
  attachmentCount: 0,
  authUser: "smtp-user",
  tls: false,
  read: false,
  snippet: "",
  parseError: null,
};

const matches = (filter: Parameters<typeof prepareFilter>[0]) =>
  prepareFilter(filter).matchesSummary(summary);

describe("prepareFilter", () => {
  it("matches everything with an empty filter, and treats empty strings as no condition", () => {
    expect(matches({})).toBe(true);
    expect(matches({ from: "", subject: "" })).toBe(true);
  });

  it("matches the inbox by normalized address", () => {
    expect(matches({ inbox: "<QA+Signup@MAILNEST.test>" })).toBe(true);
    expect(matches({ inbox: "qa@mailnest.test" })).toBe(false);
  });

  it("matches from on the header name or address and on MAIL FROM", () => {
    expect(matches({ from: "acme acc" })).toBe(true);
    expect(matches({ from: "NO-REPLY" })).toBe(true);
    expect(matches({ from: "bounce@" })).toBe(true);
    expect(matches({ from: "support" })).toBe(false);
  });

  it("matches to on To, Cc (name or address) and RCPT TO", () => {
    expect(matches({ to: "support team" })).toBe(true);
    expect(matches({ to: "audit@" })).toBe(true);
    expect(matches({ to: "acme accounts" })).toBe(false);
  });

  it("matches subject case-insensitively, authUser exactly, since strictly", () => {
    expect(matches({ subject: "e-MAIL" })).toBe(true);
    expect(matches({ authUser: "smtp-user" })).toBe(true);
    expect(matches({ authUser: "SMTP-USER" })).toBe(false);
    expect(matches({ since: 6 })).toBe(true);
    expect(matches({ since: 7 })).toBe(false);
  });

  it("requires every given condition", () => {
    expect(matches({ subject: "confirm", hasAttachment: false })).toBe(true);
    expect(matches({ subject: "confirm", hasAttachment: true })).toBe(false);
  });

  it("exposes the text needle lowercased, or null", () => {
    expect(prepareFilter({ text: "Code" }).textNeedle).toBe("code");
    expect(prepareFilter({}).textNeedle).toBeNull();
  });
});

describe("matchesVisibleText", () => {
  // The visible text is computed at parse time (smtp/visible-text.ts); the filter reads only it.
  const bodies = (text: string | null, html: string | null) => visibleText(text, html);

  it("looks in the text body and in the HTML's visible text", () => {
    expect(matchesVisibleText("code 42", bodies("Your CODE 42", null))).toBe(true);
    expect(matchesVisibleText("fish & chips", bodies(null, "<p>Fish &amp; <b>chips</b></p>"))).toBe(true);
    expect(matchesVisibleText("href", bodies(null, '<a href="x">link</a>'))).toBe(false);
    expect(matchesVisibleText("x", bodies(null, null))).toBe(false);
  });
});
