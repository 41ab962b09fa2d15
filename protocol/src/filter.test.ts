import { describe, expect, it } from "vitest";
import { compileWireFilter, InvalidFilterError, parseWireFilter, type RegexCompiler } from "./filter.js";
import type { StoredMessage } from "./message.js";

const jsRegex: RegexCompiler = (source, flags) => new RegExp(source, flags);

function message(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: "01hzzzzzzzzzzzzzzzzzzz0001",
    sequence: 1,
    inboxes: ["ada@mailnest.test"],
    mailFrom: "bounce+42@app.test",
    rcptTo: ["ada@mailnest.test", "hidden@mailnest.test"],
    messageId: "<1@app.test>",
    subject: "Welcome aboard",
    from: [{ name: "The App", address: "noreply@app.test" }],
    to: [{ name: "Ada", address: "ada@mailnest.test" }],
    cc: [{ name: "", address: "boss@app.test" }],
    date: null,
    receivedAt: "2024-05-01T12:00:01.000Z",
    receivedTime: Date.parse("2024-05-01T12:00:01.000Z"),
    duplicateOf: null,
    size: 10,
    sha256: "0".repeat(64),
    attachmentCount: 1,
    authUser: "app",
    tls: false,
    read: false,
    snippet: "",
    parseError: null,
    envelope: {
      mailFrom: "bounce+42@app.test",
      rcptTo: [],
      remoteAddress: "127.0.0.1",
      heloName: "x",
      authUser: "app",
      tls: null,
      receivedAt: "2024-05-01T12:00:01.000Z",
    },
    headers: [
      { name: "X-Campaign", value: "spring" },
      { name: "Received", value: "from a" },
      { name: "received", value: "from b" },
    ],
    bcc: [],
    replyTo: [],
    text: "Your code is 123456",
    html: "<p>Caf&eacute;</p>",
    visibleText: "Your code is 123456\n\nCafé",
    attachments: [
      {
        id: "a1",
        filename: "invoice.pdf",
        contentType: "application/pdf",
        size: 3,
        sha256: "0".repeat(64),
        contentId: null,
        disposition: "attachment",
      },
    ],
    links: [],
    ...overrides,
  } as StoredMessage;
}

const matches = (filter: unknown, target = message()) =>
  compileWireFilter(parseWireFilter(filter), jsRegex).matches(target);

describe("compileWireFilter", () => {
  it("contains is a case-insensitive substring; exact is the whole value, case-sensitive", () => {
    expect(matches({ subject: { contains: "WELCOME" } })).toBe(true);
    expect(matches({ subject: { exact: "Welcome aboard" } })).toBe(true);
    expect(matches({ subject: { exact: "welcome aboard" } })).toBe(false);
  });

  it("from offers header addresses, display names and MAIL FROM; to adds Cc and every envelope recipient", () => {
    expect(matches({ from: { contains: "the app" } })).toBe(true);
    expect(matches({ from: { exact: "bounce+42@app.test" } })).toBe(true);
    expect(matches({ to: { exact: "hidden@mailnest.test" } })).toBe(true);
    expect(matches({ to: { exact: "boss@app.test" } })).toBe(true);
    expect(matches({ cc: { exact: "ada@mailnest.test" } })).toBe(false);
  });

  it("text reads visibleText only; html reads the HTML source", () => {
    expect(matches({ text: { contains: "café" } })).toBe(true);
    expect(matches({ text: { contains: "eacute" } })).toBe(false);
    expect(matches({ html: { contains: "eacute" } })).toBe(true);
    expect(matches({ html: { contains: "x" } }, message({ html: null }))).toBe(false);
  });

  it("regex runs with its flags", () => {
    expect(matches({ text: { regex: "code is \\d{6}$", flags: "m" } })).toBe(true);
    expect(matches({ subject: { regex: "^welcome", flags: "i" } })).toBe(true);
    expect(matches({ subject: { regex: "^welcome" } })).toBe(false);
  });

  it("header: present, or any occurrence matching, by name in any case; several must all hold", () => {
    expect(matches({ header: [{ name: "x-campaign" }] })).toBe(true);
    expect(matches({ header: [{ name: "RECEIVED", value: { exact: "from b" } }] })).toBe(true);
    expect(matches({ header: [{ name: "x-campaign" }, { name: "x-missing" }] })).toBe(false);
  });

  it("attachment: one attachment matches every given part", () => {
    expect(
      matches({ attachment: { filename: { regex: "\\.pdf$" }, contentType: { contains: "pdf" } } }),
    ).toBe(true);
    expect(
      matches({ attachment: { filename: { contains: "pdf" }, contentType: { exact: "text/plain" } } }),
    ).toBe(false);
  });

  it("answers the summary-level parts from a summary and says when the rest needs the full message", () => {
    const filter = compileWireFilter(parseWireFilter({ subject: { contains: "welcome" } }), jsRegex);
    expect(filter.needsFullMessage).toBe(false);
    expect(filter.matchesSummary(message())).toBe(true);
    expect(compileWireFilter(parseWireFilter({ text: { contains: "x" } }), jsRegex).needsFullMessage).toBe(
      true,
    );
    expect(matches({ hasAttachment: false })).toBe(false);
    expect(matches({ authUser: "app" })).toBe(true);
  });
});

describe("parseWireFilter", () => {
  const fieldOf = (value: unknown) => {
    try {
      parseWireFilter(value);
      return null;
    } catch (error) {
      return error instanceof InvalidFilterError ? error.field : String(error);
    }
  };

  it("names the part that is wrong", () => {
    expect(fieldOf([])).toBe("match");
    expect(fieldOf({ subjct: { contains: "x" } })).toBe("match.subjct");
    expect(fieldOf({ subject: "x" })).toBe("subject");
    expect(fieldOf({ subject: { contains: "" } })).toBe("subject.contains");
    expect(fieldOf({ subject: { regex: "x", flags: "g" } })).toBe("subject.flags");
    expect(fieldOf({ subject: { contains: "x", flags: "i" } })).toBe("subject.flags");
    expect(fieldOf({ header: [{ name: "" }] })).toBe("header[0].name");
    expect(fieldOf({ header: [{ name: "a", value: { exact: 1 } }] })).toBe("header[0].value.exact");
    expect(fieldOf({ attachment: { size: 1 } })).toBe("attachment.size");
    expect(fieldOf({ subject: { contains: "x".repeat(1001) } })).toBe("subject.contains");
  });

  it("accepts an empty exact value (a header that is present but empty)", () => {
    expect(parseWireFilter({ header: [{ name: "X-Empty", value: { exact: "" } }] })).toEqual({
      header: [{ name: "X-Empty", value: { exact: "" } }],
    });
  });
});
