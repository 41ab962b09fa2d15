import { describe, expect, it } from "vitest";
import { contentFromString, mediaTypeParameter, parseMimeBody, pathFromString } from "./mailhog-message.js";

describe("MailHog's parse of a message (mailhog/data message.go)", () => {
  it("keeps header values as written, joins folded lines as they are, and keeps one value per name", () => {
    const content = contentFromString(
      "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nTo: a@x,\r\n b@x\r\nX-Dup: one\r\nX-Dup: two\r\nnot a header\r\n\r\nBody\r\n",
    );
    expect(content.Headers).toEqual({
      Subject: ["=?UTF-8?Q?Gr=C3=BC=C3=9Fe?="],
      To: ["a@x, b@x"],
      "X-Dup": ["two"],
    });
    expect(content.Body).toBe("Body\r\n");
    expect(contentFromString("no headers at all")).toMatchObject({ Headers: {}, Body: "no headers at all" });
  });

  it("splits a multipart body on its boundary, nested multiparts too, preamble and closing piece kept", () => {
    const body = [
      "preamble",
      "--outer",
      'Content-Type: multipart/alternative; boundary="inner"',
      "",
      "--inner",
      "Content-Type: text/plain",
      "",
      "text",
      "--inner--",
      "--outer",
      "Content-Type: text/csv",
      "Content-Transfer-Encoding: base64",
      "",
      "YSxi",
      "--outer--",
      "",
    ].join("\r\n");
    const mime = parseMimeBody({
      Headers: { "Content-Type": ["multipart/mixed; boundary=outer"] },
      Body: body,
      Size: 0,
      MIME: null,
    });
    expect(mime.Parts.map((p) => p.Headers["Content-Type"]?.[0] ?? p.Body)).toEqual([
      "preamble",
      'multipart/alternative; boundary="inner"',
      "text/csv",
      "--",
    ]);
    expect(mime.Parts[1]?.MIME?.Parts.map((p) => p.Body)).toEqual(["text", "--"]);
    expect(mime.Parts[2]?.Body).toBe("YSxi");
  });

  it("reads boundaries and envelope paths as MailHog does", () => {
    expect(mediaTypeParameter('multipart/mixed; charset=x; BOUNDARY="a \\"b\\""', "boundary")).toBe('a "b"');
    expect(mediaTypeParameter("text/plain", "boundary")).toBe("");
    expect(pathFromString("@relay1,@relay2:user@example.test")).toEqual({
      Relays: ["@relay1", "@relay2"],
      Mailbox: "user",
      Domain: "example.test",
      Params: "",
    });
    expect(pathFromString("")).toEqual({ Relays: null, Mailbox: "", Domain: "", Params: "" });
  });
});
