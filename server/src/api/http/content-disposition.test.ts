import { describe, expect, it } from "vitest";
import {
  asciiFallback,
  attachmentDisposition,
  cleanFilename,
  encodeExtValue,
} from "./content-disposition.js";

describe("attachmentDisposition", () => {
  it("sends a plain ASCII name in both forms", () => {
    expect(attachmentDisposition("report-2024.pdf", "a1")).toBe(
      `attachment; filename="report-2024.pdf"; filename*=UTF-8''report-2024.pdf`,
    );
  });

  it("percent-encodes UTF-8 in filename* and replaces it with _ in the ASCII fallback", () => {
    expect(attachmentDisposition("Bücher € 2.pdf", "a1")).toBe(
      `attachment; filename="B_cher _ 2.pdf"; filename*=UTF-8''B%C3%BCcher%20%E2%82%AC%202.pdf`,
    );
  });

  it("keeps only the last path segment of a name that tries to be a path", () => {
    expect(attachmentDisposition("../../etc/passwd", "a1")).toContain(`filename="passwd"`);
    expect(attachmentDisposition("C:\\Windows\\evil.exe", "a1")).toContain(`filename="evil.exe"`);
  });

  it("cannot break out of the header: quotes, CR/LF and semicolons are neutralised", () => {
    const header = attachmentDisposition('a";\r\nSet-Cookie: x=1; b.txt', "a1");
    expect(header).not.toMatch(/[\r\n]/);
    // The quoted fallback holds exactly one pair of quotes.
    expect(header.match(/"/g)).toHaveLength(2);
    expect(header).toContain(`filename*=UTF-8''a%22%3BSet-Cookie%3A%20x%3D1%3B%20b.txt`);
  });

  it("falls back to the given name when the filename is missing, empty or only dots", () => {
    expect(attachmentDisposition(null, "a3")).toBe(`attachment; filename="a3"; filename*=UTF-8''a3`);
    expect(attachmentDisposition("  ", "a3")).toContain(`filename="a3"`);
    expect(attachmentDisposition("..", "a3")).toContain(`filename="a3"`);
    expect(attachmentDisposition("dir/", "a3")).toContain(`filename="a3"`);
  });
});

describe("the parts", () => {
  it("asciiFallback replaces %, which some browsers would percent-decode", () => {
    expect(asciiFallback("100%25.txt")).toBe("100_25.txt");
  });

  it("encodeExtValue leaves RFC 8187 attr-chars alone and encodes the rest", () => {
    expect(encodeExtValue("AZaz09!#$&+-.^_`|~")).toBe("AZaz09!#$&+-.^_`|~");
    expect(encodeExtValue("a b'c*()")).toBe("a%20b%27c%2A%28%29");
    expect(encodeExtValue("日本")).toBe("%E6%97%A5%E6%9C%AC");
  });

  it("cleanFilename drops control characters and cuts very long names by code point", () => {
    expect(cleanFilename("in\u0000voice\u007f.pdf")).toBe("invoice.pdf");
    expect(cleanFilename("invoice\u202Efdp.exe")).toBe("invoicefdp.exe");
    expect(cleanFilename("\u200Bre\u2066port\u2069.pdf\uFEFF")).toBe("report.pdf");
    const long = "😀".repeat(300);
    expect(Array.from(cleanFilename(long))).toHaveLength(200);
  });
});
