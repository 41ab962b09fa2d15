import type { AttachmentMeta, Link } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { AmbiguousMatchError, isAmbiguousMatchError } from "../errors/ambiguous-match-error.js";
import { isNoMatchError, NoMatchError } from "../errors/no-match-error.js";
import { message } from "../test-support/stored-message.js";

function caught(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

const confirm: Link = {
  href: "https://app.test/confirm?token=abc",
  text: "Confirm your email",
  source: "html",
};
const unsubscribe: Link = { href: "https://app.test/unsubscribe", text: "Unsubscribe", source: "html" };

describe("message.link()", () => {
  it("returns the one link that matches the href or the text", () => {
    const msg = message({ links: [confirm, unsubscribe] });
    expect(msg.link(/confirm/i).href).toBe(confirm.href);
    expect(msg.link("UNSUBSCRIBE").href).toBe(unsubscribe.href);
    expect(msg.link({ text: /confirm/i, source: "html" })).toEqual(confirm);
  });

  it("counts one href repeated as a button, a fallback URL and a text-part link as one link", () => {
    const msg = message({
      links: [
        confirm,
        { href: confirm.href, text: confirm.href, source: "html" },
        { href: confirm.href, text: confirm.href, source: "text" },
      ],
    });
    expect(msg.link()).toEqual(confirm);
  });

  it("throws NoMatchError listing the links the message has when none matches", () => {
    const error = caught(() =>
      message({ subject: "Hi", sequence: 7, links: [confirm, unsubscribe] }).link(/reset/),
    );
    expect(error).toBeInstanceOf(NoMatchError);
    expect(isNoMatchError(error)).toBe(true);
    expect(error.message).toBe(
      'No link with href or text /reset/ in message #7 "Hi"; its links:\n' +
        '  - https://app.test/confirm?token=abc (html "Confirm your email")\n' +
        '  - https://app.test/unsubscribe (html "Unsubscribe")',
    );
  });

  it("says so when the message has no links at all", () => {
    expect(caught(() => message({ subject: "Hi", sequence: 8 }).link()).message).toBe(
      'No link in message #8 "Hi"; it has no links',
    );
  });

  it("throws AmbiguousMatchError listing every candidate when several different links match", () => {
    const error = caught(() =>
      message({ subject: "Hi", sequence: 9, links: [confirm, unsubscribe] }).link("app.test"),
    );
    expect(error).toBeInstanceOf(AmbiguousMatchError);
    expect(isAmbiguousMatchError(error)).toBe(true);
    expect((error as AmbiguousMatchError).candidates).toEqual([
      'https://app.test/confirm?token=abc (html "Confirm your email")',
      'https://app.test/unsubscribe (html "Unsubscribe")',
    ]);
    expect(error.message).toContain(
      '2 different links match (link with href or text "app.test") in message #9 "Hi"',
    );
  });

  it("rejects a filter of the wrong shape with a TypeError", () => {
    expect(() => message().link({ url: "x" } as never)).toThrow('Unknown link filter key "url"');
    expect(() => message().link(42 as never)).toThrow(TypeError);
  });
});

describe("message.code()", () => {
  it("finds a six-digit code in the text, and one in the subject", () => {
    expect(message({ text: "Your code is 482913. It expires in 10 minutes." }).code()).toBe("482913");
    expect(message({ subject: "482913 is your code", text: "Hi" }).code()).toBe("482913");
  });

  it("counts a code repeated in the subject and the body once", () => {
    expect(message({ subject: "Code 482913", text: "Use 482913 to sign in" }).code()).toBe("482913");
  });

  it("ignores digits inside URLs and longer numbers", () => {
    const text = "Your code: 482913\nOr open https://app.test/verify?uid=777777&t=123456\nOrder 12345678";
    expect(message({ text }).code()).toBe("482913");
  });

  it("reads the HTML's text when there is no text part, never its attributes or styles", () => {
    const html =
      '<html><head><style>.x{color:#123456}</style></head><body><p style="margin:111111px">Your code:' +
      '&nbsp;<b>482913</b></p><a href="https://app.test/?c=999999">open</a></body></html>';
    expect(message({ text: null, html }).code()).toBe("482913");
  });

  it('looks in the HTML\'s text when the text part holds no code ("View this email in your browser")', () => {
    const html = "<p>Your sign-in code is <b>482913</b></p>";
    expect(message({ text: "View this email in your browser: https://app.test/v/1", html }).code()).toBe(
      "482913",
    );
  });

  it("prefers the text part: the same code in the HTML is not a second one, another code there is not looked at", () => {
    expect(message({ text: "Code 111111", html: "<p>Code 111111</p>" }).code()).toBe("111111");
    expect(message({ text: "Code 111111", html: "<p>Old 222222</p>" }).code()).toBe("111111");
  });

  it("says it searched the subject, the text and the HTML when none holds a code", () => {
    const error = caught(() =>
      message({ subject: "Hi", sequence: 5, text: "View online", html: "<p>Nothing here</p>" }).code(),
    );
    expect(error).toBeInstanceOf(NoMatchError);
    expect(error.message).toBe(
      'No 6-digit code in message #5 "Hi" (searched subject and text and HTML):\n' +
        '  - subject: "Hi"\n' +
        '  - text: "View online"\n' +
        '  - HTML: "Nothing here"',
    );
  });

  it("throws AmbiguousMatchError naming each code and where it was when there are several", () => {
    const error = caught(() =>
      message({
        subject: "Codes",
        sequence: 3,
        text: "Old code 111111 no longer works, use 222222 instead.",
      }).code(),
    );
    expect(error).toBeInstanceOf(AmbiguousMatchError);
    expect(error.message).toBe(
      '2 different 6-digit codes in message #3 "Codes"; pass { pattern } to pick one:\n' +
        '  - 111111 (text: "Old code 111111 no longer works, use 222…")\n' +
        '  - 222222 (text: "…111 no longer works, use 222222 instead.")',
    );
  });

  it("throws NoMatchError showing what was searched when there is none", () => {
    const error = caught(() => message({ subject: "Welcome", sequence: 4, text: "Hello Ada" }).code());
    expect(error).toBeInstanceOf(NoMatchError);
    expect(error.message).toBe(
      'No 6-digit code in message #4 "Welcome" (searched subject and text):\n' +
        '  - subject: "Welcome"\n' +
        '  - text: "Hello Ada"',
    );
  });

  it("finds alphanumeric codes, which contain a digit, and skips plain words", () => {
    const msg = message({ text: "WELCOME aboard! Your code is X7K9P2, valid today." });
    expect(msg.code({ alphanumeric: true })).toBe("X7K9P2");
    expect(message({ text: "Token: AB12CD34" }).code({ alphanumeric: true, length: 8 })).toBe("AB12CD34");
  });

  it("honours a length", () => {
    expect(message({ text: "PIN 4821, reference 123456" }).code({ length: 4 })).toBe("4821");
  });

  it("takes a custom pattern's named group, else its first group, else the whole match", () => {
    const msg = message({ text: "Ref 123456. Your code: ABC-123." });
    expect(msg.code({ pattern: /code: (?<code>[A-Z]{3}-\d{3})/ })).toBe("ABC-123");
    expect(msg.code({ pattern: /code: ([A-Z]{3})-/ })).toBe("ABC");
    expect(msg.code({ pattern: /[A-Z]{3}-\d{3}/g })).toBe("ABC-123");
  });

  it("rejects options that do not fit together, with a TypeError", () => {
    expect(() => message().code({ pattern: /x/, length: 4 })).toThrow(
      "either a code pattern or length/alphanumeric",
    );
    expect(() => message().code({ length: 2 })).toThrow(
      "Expected code option length to be an integer from 3 to 64",
    );
    expect(() => message().code({ digits: 6 } as never)).toThrow('Unknown code option "digits"');
  });
});

describe("message.attachment()", () => {
  const attachment = (id: string, filename: string, contentType: string): AttachmentMeta => ({
    id,
    filename,
    contentType,
    size: 3,
    sha256: "",
    contentId: null,
    disposition: "attachment",
  });

  it("selects one attachment by filename or content type, and refuses to guess between several", () => {
    const msg = message({
      attachmentCount: 2,
      attachments: [
        attachment("a1", "invoice.pdf", "application/pdf"),
        attachment("a2", "logo.png", "image/png"),
      ],
    });
    expect(msg.attachment(/\.pdf$/).id).toBe("a1");
    expect(msg.attachment({ contentType: "image/" }).filename).toBe("logo.png");
    expect(caught(() => msg.attachment()).message).toContain("2 different attachments match (attachment)");
    expect(caught(() => msg.attachment("report")).message).toBe(
      'No attachment with filename "report" in message ' +
        `#${msg.sequence} "Welcome to the app"; its attachments:\n` +
        '  - "invoice.pdf" application/pdf, 3 bytes\n' +
        '  - "logo.png" image/png, 3 bytes',
    );
  });
});

describe("message fields", () => {
  it("exposes the first From address, dates as Dates, and headers in any case with repeats kept", () => {
    const msg = message({
      headers: [
        { name: "Received", value: "from a" },
        { name: "received", value: "from b" },
        { name: "Subject", value: "Hi" },
      ],
    });
    expect(msg.from).toEqual({ name: "The App", address: "noreply@app.test" });
    expect(msg.date?.toISOString()).toBe("2024-05-01T12:00:00.000Z");
    expect(msg.headers.get("RECEIVED")).toBe("from a");
    expect(msg.headers.getAll("Received")).toEqual(["from a", "from b"]);
    expect(msg.headers.has("x-missing")).toBe(false);
    expect([...msg.headers].map((line) => line.name)).toEqual(["Received", "received", "Subject"]);
  });

  it("describes itself by sequence, subject, sender and arrival time", () => {
    expect(String(message({ sequence: 12 }))).toBe(
      '#12 "Welcome to the app" from The App <noreply@app.test> at 2024-05-01T12:00:01.000Z',
    );
  });
});
