import { describe, expect, it } from "vitest";
import { parseMimeTree } from "../../mime/mime-tree.js";
import { type SectionSpec, sectionBytes } from "./body-section.js";

const crlf = (lines: string[]) => Buffer.from(lines.join("\r\n"), "latin1");
const section = (parts: number[], text: SectionSpec["text"] = null, fields: string[] = []): SectionSpec => ({
  parts,
  text,
  fields,
});

// RFC 3501 section 6.4.5's example, reduced: a multipart/mixed with a text part, an
// application part, a message/rfc822 holding a multipart, and a multipart/alternative.
const MESSAGE = crlf([
  "From: a@x.test",
  "Subject: sections",
  "Content-Type: MULTIPART/MIXED; boundary=b1",
  "",
  "--b1",
  "Content-Type: TEXT/PLAIN",
  "",
  "part one",
  "--b1",
  "Content-Type: APPLICATION/OCTET-STREAM",
  "",
  "part two",
  "--b1",
  "Content-Type: MESSAGE/RFC822",
  "",
  "Subject: inner",
  "Content-Type: MULTIPART/MIXED; boundary=b2",
  "",
  "--b2",
  "Content-Type: TEXT/PLAIN",
  "",
  "part 3.1",
  "--b2",
  "Content-Type: APPLICATION/OCTET-STREAM",
  "",
  "part 3.2",
  "--b2--",
  "--b1",
  "Content-Type: MULTIPART/ALTERNATIVE; boundary=b3",
  "",
  "--b3",
  "Content-Type: TEXT/PLAIN",
  "",
  "part 4.1",
  "--b3",
  "Content-Type: TEXT/HTML",
  "",
  "<p>part 4.2</p>",
  "--b3--",
  "--b1--",
  "",
]);

describe("BODY[section] (RFC 3501 section 6.4.5)", () => {
  const root = parseMimeTree(MESSAGE);
  const text = (spec: SectionSpec) => sectionBytes(MESSAGE, root, spec)?.toString("latin1") ?? null;

  it("cuts out the parts the RFC's part-numbering example names", () => {
    expect(text(section([]))).toBe(MESSAGE.toString("latin1"));
    expect(text(section([1]))).toBe("part one");
    expect(text(section([2]))).toBe("part two");
    expect(text(section([3], "HEADER"))).toBe(
      "Subject: inner\r\nContent-Type: MULTIPART/MIXED; boundary=b2\r\n\r\n",
    );
    expect(text(section([3, 1]))).toBe("part 3.1");
    expect(text(section([3, 2]))).toBe("part 3.2");
    expect(text(section([4, 1]))).toBe("part 4.1");
    expect(text(section([4, 2]))).toBe("<p>part 4.2</p>");
    expect(text(section([4, 2], "MIME"))).toBe("Content-Type: TEXT/HTML\r\n\r\n");
    expect(text(section([3]))?.startsWith("Subject: inner\r\n")).toBe(true);
    expect(text(section([3], "TEXT"))?.startsWith("--b2\r\n")).toBe(true);
  });

  it("gives the top-level header, text and selected fields with the empty line", () => {
    expect(text(section([], "HEADER"))).toBe(
      "From: a@x.test\r\nSubject: sections\r\nContent-Type: MULTIPART/MIXED; boundary=b1\r\n\r\n",
    );
    expect(text(section([], "HEADER.FIELDS", ["subject", "FROM", "X-Missing"]))).toBe(
      "From: a@x.test\r\nSubject: sections\r\n\r\n",
    );
    expect(text(section([], "HEADER.FIELDS.NOT", ["Content-Type"]))).toBe(
      "From: a@x.test\r\nSubject: sections\r\n\r\n",
    );
    expect(text(section([], "TEXT"))?.startsWith("--b1\r\npart")).toBe(false);
    expect(text(section([], "TEXT"))?.startsWith("--b1\r\nContent-Type: TEXT/PLAIN")).toBe(true);
  });

  it("answers null for parts that do not exist", () => {
    expect(text(section([9]))).toBeNull();
    expect(text(section([1, 1]))).toBeNull();
    expect(text(section([1], "HEADER"))).toBeNull();
    expect(text(section([], "MIME"))).toBeNull();
  });

  it("treats part 1 of a single-part message as its body", () => {
    const raw = crlf(["Subject: one", "X-Folded: a", "  b", "", "just text", ""]);
    const single = parseMimeTree(raw);
    expect(sectionBytes(raw, single, section([1]))?.toString()).toBe("just text\r\n");
    expect(sectionBytes(raw, single, section([2]))).toBeNull();
    expect(sectionBytes(raw, single, section([], "HEADER.FIELDS", ["x-folded"]))?.toString()).toBe(
      "X-Folded: a\r\n  b\r\n\r\n",
    );
  });

  it("reads messages with bare LF line ends and without a body", () => {
    const lf = Buffer.from("Subject: lf\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\nbody\n--z--\n");
    const tree = parseMimeTree(lf);
    expect(sectionBytes(lf, tree, section([1]))?.toString()).toBe("body");
    expect(sectionBytes(lf, tree, section([1], "MIME"))?.toString()).toBe("\n");
    const headerOnly = Buffer.from("Subject: only a header\r\n");
    const noBody = parseMimeTree(headerOnly);
    expect(sectionBytes(headerOnly, noBody, section([], "HEADER"))?.toString()).toBe(
      "Subject: only a header\r\n\r\n",
    );
    expect(sectionBytes(headerOnly, noBody, section([], "TEXT"))?.toString()).toBe("");
  });
});
