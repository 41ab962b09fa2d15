import type { MessageSummary } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { message, storedMessage } from "../test-support/stored-message.js";
import { compileFilter, withoutServerPart } from "./compile-filter.js";
import { evaluateFilter } from "./evaluate-filter.js";
import type { MessageFilter } from "./message-filter.js";

async function matches(
  filter: MessageFilter,
  overrides: Parameters<typeof message>[0] = {},
): Promise<boolean> {
  return (await evaluateFilter(compileFilter(filter), message(overrides))).matches;
}

describe("text matchers", () => {
  it("a string matches a substring in any case", async () => {
    expect(await matches({ subject: "WELCOME" })).toBe(true);
    expect(await matches({ subject: "goodbye" })).toBe(false);
  });

  it("a RegExp is tested as given, and a global flag leaves no state between messages", async () => {
    const filter = compileFilter({ subject: /Welcome/g });
    for (let round = 0; round < 3; round++) {
      expect((await evaluateFilter(filter, message())).matches).toBe(true);
    }
    expect(await matches({ subject: /^welcome/ })).toBe(false);
  });

  it("{ exact } compares the whole value, case-sensitively", async () => {
    expect(await matches({ subject: { exact: "Welcome to the app" } })).toBe(true);
    expect(await matches({ subject: { exact: "welcome to the app" } })).toBe(false);
    expect(await matches({ subject: { exact: "Welcome" } })).toBe(false);
  });
});

describe("fields", () => {
  it("from matches the display name, the address, and the envelope sender", async () => {
    expect(await matches({ from: "The App" })).toBe(true);
    expect(await matches({ from: { exact: "noreply@app.test" } })).toBe(true);
    expect(await matches({ from: "bounce@" })).toBe(true);
    expect(await matches({ from: "billing@" })).toBe(false);
  });

  it("to matches a Bcc recipient, who appears only in the envelope, and Cc recipients", async () => {
    const bcc = { rcptTo: ["ada@mailnest.test", "audit@mailnest.test"], inboxes: ["audit@mailnest.test"] };
    expect(await matches({ to: "audit@" }, bcc)).toBe(true);
    expect(await matches({ cc: "audit@" }, bcc)).toBe(false);
    const cc = { cc: [{ name: "Grace", address: "grace@mailnest.test" }] };
    expect(await matches({ to: "grace" }, cc)).toBe(true);
    expect(await matches({ cc: { exact: "Grace" } }, cc)).toBe(true);
  });

  it("text matches the text body or the HTML's visible text; html matches the HTML source", async () => {
    const htmlOnly = { text: null, html: "<p>Your <b>code</b>:\n  &amp; more</p>" };
    expect(await matches({ text: "your code: & more" }, htmlOnly)).toBe(true);
    expect(await matches({ text: "<b>" }, htmlOnly)).toBe(false);
    expect(await matches({ html: /<b>code<\/b>/ }, htmlOnly)).toBe(true);
    expect(await matches({ html: "Hello" })).toBe(false);
    expect(await matches({ text: "hello ada" })).toBe(true);
  });

  it("header matches by name in any case, on any of its occurrences, or by presence alone", async () => {
    const headers = [
      { name: "Received", value: "from a" },
      { name: "Received", value: "from b" },
      { name: "X-Campaign", value: "spring-sale" },
    ];
    expect(await matches({ header: { name: "x-campaign" } }, { headers })).toBe(true);
    expect(await matches({ header: { name: "received", value: "from b" } }, { headers })).toBe(true);
    expect(await matches({ header: { name: "received", value: "from c" } }, { headers })).toBe(false);
    expect(
      await matches({ header: [{ name: "x-campaign" }, { name: "list-unsubscribe" }] }, { headers }),
    ).toBe(false);
  });

  it("hasAttachment and attachment look at the attachments", async () => {
    const withPdf = {
      attachmentCount: 1,
      attachments: [
        {
          id: "a1",
          filename: "invoice-42.pdf",
          contentType: "application/pdf",
          size: 10,
          sha256: "",
          contentId: null,
          disposition: "attachment" as const,
        },
      ],
    };
    expect(await matches({ hasAttachment: true }, withPdf)).toBe(true);
    expect(await matches({ hasAttachment: false }, withPdf)).toBe(false);
    expect(await matches({ attachment: { filename: /\.pdf$/, contentType: "pdf" } }, withPdf)).toBe(true);
    expect(await matches({ attachment: { filename: /\.pdf$/, contentType: "image/" } }, withPdf)).toBe(false);
    expect(await matches({ hasAttachment: false })).toBe(true);
  });

  it("where receives the full message and runs only when everything else matched", async () => {
    const seen: string[] = [];
    const where = (candidate: { subject: string }) => {
      seen.push(candidate.subject);
      return candidate.subject.length > 5;
    };
    expect(await matches({ subject: "welcome", where })).toBe(true);
    expect(await matches({ subject: "nope", where })).toBe(false);
    expect(seen).toEqual(["Welcome to the app"]);
    expect(await matches({ where: async () => false })).toBe(false);
  });
});

describe("summaries", () => {
  it("checks a summary as far as it can and says the verdict is incomplete", async () => {
    const { envelope, headers, bcc, replyTo, text, html, attachments, links, ...summary } = storedMessage();
    const verdict = await evaluateFilter(
      compileFilter({ subject: "welcome", text: "hello" }),
      summary as MessageSummary,
    );
    expect(verdict).toEqual({ matches: false, failures: [], complete: false });
    const failing = await evaluateFilter(
      compileFilter({ subject: "bye", text: "hello" }),
      summary as MessageSummary,
    );
    expect(failing.failures).toEqual(['subject "Welcome to the app" does not contain "bye"']);
  });
});

describe("explanations", () => {
  it("lists every failing part with what the message had", async () => {
    const filter = compileFilter({ subject: /Reset/, from: "billing@", header: { name: "X-Campaign" } });
    const verdict = await evaluateFilter(filter, message(), { explain: true });
    expect(verdict.failures).toEqual([
      'subject "Welcome to the app" does not match /Reset/',
      'from (The App <noreply@app.test>; envelope bounce@app.test) does not contain "billing@"',
      "has no X-Campaign header",
    ]);
  });

  it("describes the filter as a timeout message shows it", () => {
    const filter = compileFilter({
      subject: /Welcome/i,
      to: { exact: "ada@mailnest.test" },
      hasAttachment: true,
      where: function paid() {
        return true;
      },
    });
    expect(filter.description).toBe(
      'subject /Welcome/i, to exactly "ada@mailnest.test", with attachments, where(paid)',
    );
  });
});

describe("server query", () => {
  it("sends plain substrings as list parameters and the whole filter but `where` as `match`", () => {
    const filter = compileFilter({
      subject: "welcome",
      from: /app/i,
      to: { exact: "ada@mailnest.test" },
      text: "code",
      html: "<b>",
      hasAttachment: false,
      header: { name: "X-Campaign" },
      attachment: { filename: /\.pdf$/ },
      where: () => true,
    });
    const { match, ...plain } = filter.serverQuery;
    expect(plain).toEqual({ subject: "welcome", text: "code", hasAttachment: false });
    expect(JSON.parse(match ?? "null")).toEqual({
      subject: { contains: "welcome" },
      from: { regex: "app", flags: "i" },
      to: { exact: "ada@mailnest.test" },
      text: { contains: "code" },
      html: { contains: "<b>" },
      hasAttachment: false,
      header: [{ name: "X-Campaign" }],
      attachment: { filename: { regex: "\\.pdf$" } },
    });
  });

  it("keeps a pattern the wire cannot carry local, and drops a part the server refused", () => {
    // biome-ignore lint/complexity/useRegexLiterals: the `v` flag needs an ES2024 target in a literal.
    const filter = compileFilter({ subject: new RegExp("\\p{L}", "v"), text: "code" });
    expect(filter.wire).toEqual({ text: { contains: "code" } });
    const refused = withoutServerPart(compileFilter({ subject: /(?=W)W/, text: "code" }), "subject");
    expect(refused.wire).toEqual({ text: { contains: "code" } });
    expect(JSON.parse(refused.serverQuery.match ?? "null")).toEqual({ text: { contains: "code" } });
    expect(refused.checks.map((check) => check.field)).toEqual(["subject", "text"]);
  });

  it("says when some part runs only here, so that waits read the server's candidates in pages", () => {
    expect(compileFilter(undefined).checkedHereOnly).toBe(false);
    expect(
      compileFilter({ subject: /code/, header: { name: "X-A", value: { exact: "1" } } }).checkedHereOnly,
    ).toBe(false);
    expect(compileFilter({ subject: "code", where: () => true }).checkedHereOnly).toBe(true);
    // biome-ignore lint/complexity/useRegexLiterals: the `v` flag needs an ES2024 target in a literal.
    expect(compileFilter({ subject: new RegExp("\\p{L}", "v") }).checkedHereOnly).toBe(true);
    expect(withoutServerPart(compileFilter({ subject: /(?=W)W/ }), "subject").checkedHereOnly).toBe(true);
  });
});

describe("validation", () => {
  it.each([
    [{ subjct: "x" }, 'Unknown filter key "subjct"; expected one of: subject, from, to, cc, text, html'],
    [{ subject: 42 }, "Expected filter.subject to be a non-empty string"],
    [{ subject: "" }, 'got an empty string ""'],
    [{ subject: { exact: 1 } }, "Expected filter.subject"],
    [{ hasAttachment: "yes" }, 'Expected filter.hasAttachment to be true or false; got "yes"'],
    [{ header: { value: "x" } }, "Expected filter.header.name to be a header name"],
    [{ header: [] }, "Expected filter.header to name at least one header"],
    [{ attachment: { name: "x.pdf" } }, 'Unknown filter.attachment key "name"'],
    [{ where: true }, "Expected filter.where to be a function"],
  ])("rejects %j with a TypeError saying what was expected", (filter, expected) => {
    expect(() => compileFilter(filter as MessageFilter)).toThrow(TypeError);
    expect(() => compileFilter(filter as MessageFilter)).toThrow(expected);
  });

  it("rejects a bare RegExp or string where an object is expected", () => {
    expect(() => compileFilter(/Welcome/ as unknown as MessageFilter)).toThrow(
      "Expected filter to be an object such as { subject: /Welcome/ }; got /Welcome/",
    );
  });
});
