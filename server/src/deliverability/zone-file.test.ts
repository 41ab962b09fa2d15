import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseZoneFile, readZoneFile, ZoneFileError } from "./zone-file.js";

function records(text: string) {
  return parseZoneFile(text, "test.zone").map(({ record, line }) => ({ line, ...record }));
}

function problem(text: string): string {
  try {
    parseZoneFile(text, "test.zone");
  } catch (error) {
    expect(error).toBeInstanceOf(ZoneFileError);
    return (error as Error).message;
  }
  throw new Error("the zone file was accepted");
}

describe("zone files (BIND master-file subset)", () => {
  it("reads records with $ORIGIN, $TTL, @, relative and absolute names, and optional TTL and class", () => {
    const zone = `
$ORIGIN example.test.
$TTL 1h
@              IN TXT   "v=spf1 mx -all"       ; the policy
_dmarc    600  IN TXT   "v=DMARC1; p=reject"
mail      IN   60   A   192.0.2.10
               AAAA     2001:DB8::10
@              MX       10 mail
alias          CNAME    mail.other.test.
`;
    expect(records(zone)).toEqual([
      { line: 4, name: "example.test", type: "TXT", value: "v=spf1 mx -all", ttl: 3600 },
      { line: 5, name: "_dmarc.example.test", type: "TXT", value: "v=DMARC1; p=reject", ttl: 600 },
      { line: 6, name: "mail.example.test", type: "A", value: "192.0.2.10", ttl: 60 },
      { line: 7, name: "mail.example.test", type: "AAAA", value: "2001:db8::10", ttl: 3600 },
      { line: 8, name: "example.test", type: "MX", value: "10 mail.example.test", ttl: 3600 },
      { line: 9, name: "alias.example.test", type: "CNAME", value: "mail.other.test", ttl: 3600 },
    ]);
  });

  it("joins the strings of a TXT record spread over lines in parentheses", () => {
    const zone = `$ORIGIN example.test.
s1._domainkey IN TXT ( "v=DKIM1; k=rsa; "   ; first half
                       "p=MIIBIjAN"
                       "BgkqhkiG" )
next TXT "after"
`;
    expect(records(zone)).toEqual([
      {
        line: 2,
        name: "s1._domainkey.example.test",
        type: "TXT",
        value: "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG",
        ttl: 300,
      },
      { line: 5, name: "next.example.test", type: "TXT", value: "after", ttl: 300 },
    ]);
  });

  it("reads escapes in quoted strings and ignores semicolons inside them", () => {
    const zone = `$ORIGIN example.test.\n@ TXT "a \\"quoted\\" word; \\065\\\\ end"\n`;
    expect(records(zone)[0]?.value).toBe('a "quoted" word; A\\ end');
  });

  it("ignores SOA (over several lines) and NS records", () => {
    const zone = `$ORIGIN example.test.
@ IN SOA ns1 hostmaster (
      2025120201 ; serial
      3600 900 604800 300 )
@ IN NS ns1.example.test.
@ IN TXT "kept"
`;
    expect(records(zone).map((record) => [record.line, record.value])).toEqual([[6, "kept"]]);
  });

  it.each([
    ["www IN A 192.0.2.1", 'test.zone:1: "www" is relative (no final dot) and there is no $ORIGIN'],
    ["$ORIGIN example.test.\n\nwww IN A 300.1.1.1", 'test.zone:3: "300.1.1.1" is not an IPv4 address'],
    [
      "$ORIGIN example.test.\n@ IN SRV 0 5 25 mail",
      'test.zone:2: record type "SRV" is not supported (TXT, A, AAAA, MX and CNAME are; SOA and NS are ignored)',
    ],
    ['$ORIGIN example.test.\n@ TXT "never closed', "test.zone:2: unterminated quoted string"],
    ['$ORIGIN example.test.\n@ TXT ( "a"\n "b"', 'test.zone:2: "(" is never closed'],
    ["$ORIGIN example.test.\n@ MX mail", "test.zone:2: MX takes a preference and an exchange"],
    ["$INCLUDE other.zone", "test.zone:1: $INCLUDE is not supported (only $ORIGIN and $TTL are)"],
    [
      "$ORIGIN example.test.\nbad..name A 192.0.2.1",
      'test.zone:2: name "bad..name.example.test" has an empty label',
    ],
    [
      `$ORIGIN example.test.\n@ TXT "${"x".repeat(256)}"`,
      "test.zone:2: a quoted string holds at most 255 characters (this one has 256); split it",
    ],
    [
      '$ORIGIN example.test.\n@ SPF "v=spf1 -all"',
      "test.zone:2: SPF-type records are obsolete (RFC 7208 section 3.1): publish the policy as TXT",
    ],
    ["  IN A 192.0.2.1", "test.zone:1: the record has no owner name and there is no previous record"],
  ])("refuses %j with one line naming file and line", (text, message) => {
    expect(problem(text)).toBe(message);
  });
});

describe("readZoneFile", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("names the file in its errors", async () => {
    dir = await mkdtemp(join(tmpdir(), "mailnest-zone-"));
    const path = join(dir, "lab.zone");
    await writeFile(path, '$ORIGIN example.test.\n@ TXT "ok"\n@ A nope\n');

    await expect(readZoneFile(path)).rejects.toThrow(`${path}:3: "nope" is not an IPv4 address`);
    await expect(readZoneFile(join(dir, "missing.zone"))).rejects.toThrow(
      /missing\.zone: cannot read the zone file/,
    );
  });
});
