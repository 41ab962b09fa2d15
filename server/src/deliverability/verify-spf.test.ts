import { describe, expect, it } from "vitest";
import { fakeSystemDns, plainMessage, verifierOver, zoneOf } from "../test-support/deliverability-kit.js";

const ZONE = `
$ORIGIN example.test.
@          TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.test ~all"
_spf       TXT "v=spf1 ip4:198.51.100.0/24 -all"
mail       TXT "v=spf1 a -all"
mail       A   192.0.2.25

$ORIGIN fail.test.
@          TXT "v=spf1 ip4:192.0.2.0/24 -all"
$ORIGIN soft.test.
@          TXT "v=spf1 ip4:192.0.2.0/24 ~all"
$ORIGIN neutral.test.
@          TXT "v=spf1 ip4:192.0.2.0/24 ?all"
$ORIGIN nomatch.test.
@          TXT "v=spf1 ip4:192.0.2.0/24"
$ORIGIN nospf.test.
@          TXT "google-site-verification=abc"
$ORIGIN voids.test.
two        TXT "v=spf1 a:n1.voids.test a:n2.voids.test -all"
three      TXT "v=spf1 a:n1.voids.test a:n2.voids.test a:n3.voids.test -all"
`;

/** `count` includes of domains whose own record never matches; one string per term, as zone files split long TXT. */
function includes(domain: string, count: number): string {
  const terms = Array.from({ length: count }, (_, i) => `"include:i${i}.${domain} "`).join("\n    ");
  const records = Array.from({ length: count }, (_, i) => `i${i} TXT "v=spf1 -all"`).join("\n");
  return `$ORIGIN ${domain}.\n@ TXT ( "v=spf1 "\n    ${terms}\n    "-all" )\n${records}\n`;
}

async function spfFor(mailFrom: string, ip: string, helo = "client.test", zoneText = ZONE) {
  const auth = await verifierOver(zoneOf(zoneText)).verify({ raw: plainMessage(), ip, helo, mailFrom });
  return auth.spf;
}

describe("SPF against the zone", () => {
  it("pass: the IP is in an ip4 range, no lookup needed", async () => {
    const spf = await spfFor("ada@example.test", "192.0.2.10");

    expect(spf).toMatchObject({
      result: "pass",
      identity: "mailfrom",
      domain: "example.test",
      clientIp: "192.0.2.10",
      mechanism: "ip4:192.0.2.0/24",
      record: "v=spf1 ip4:192.0.2.0/24 include:_spf.example.test ~all",
      lookups: 0,
    });
    expect(spf.reason).toBe(
      '192.0.2.10 is permitted by "ip4:192.0.2.0/24" in the SPF record of example.test',
    );
  });

  it("pass through an include, which costs one lookup", async () => {
    const spf = await spfFor("ada@example.test", "198.51.100.7");

    expect(spf).toMatchObject({ result: "pass", mechanism: "include:_spf.example.test", lookups: 1 });
    expect(spf.reason).toContain("(by ip4:198.51.100.0/24 in _spf.example.test)");
  });

  it("fail, softfail and neutral from the record's all", async () => {
    expect(await spfFor("ada@fail.test", "203.0.113.5")).toMatchObject({ result: "fail", mechanism: "-all" });
    expect(await spfFor("ada@soft.test", "203.0.113.5")).toMatchObject({
      result: "softfail",
      mechanism: "~all",
    });
    expect(await spfFor("ada@neutral.test", "203.0.113.5")).toMatchObject({
      result: "neutral",
      mechanism: "?all",
    });
  });

  it("neutral when no term matches and the record has no all", async () => {
    const spf = await spfFor("ada@nomatch.test", "203.0.113.5");

    expect(spf).toMatchObject({ result: "neutral", mechanism: null });
    expect(spf.reason).toMatch(/no term of the SPF record of nomatch\.test matched/);
  });

  it("none when the domain publishes no SPF record, or is not in the zone at all", async () => {
    expect(await spfFor("ada@nospf.test", "192.0.2.10")).toMatchObject({
      result: "none",
      reason: "nospf.test has no SPF record",
    });
    // The lookup of the record itself is no void lookup (RFC 7208 section 4.6.4 counts the terms').
    expect(await spfFor("ada@elsewhere.test", "192.0.2.10")).toMatchObject({
      result: "none",
      voidLookups: 0,
    });
  });

  it("names the record a redirect= led to, and an mx term's host limit as such", async () => {
    const zone = `
$ORIGIN redirected.test.
@     TXT "v=spf1 redirect=_spf.redirected.test"
_spf  TXT "v=spf1 ip4:198.51.100.0/24 -all"
$ORIGIN manymx.test.
@     TXT "v=spf1 mx -all"
${Array.from({ length: 11 }, (_, i) => `@ MX ${i} mx${i}.manymx.test.\nmx${i} A 192.0.2.${i + 1}`).join("\n")}
`;
    expect((await spfFor("ada@redirected.test", "198.51.100.7", "client.test", zone)).reason).toBe(
      '198.51.100.7 is permitted by "ip4:198.51.100.0/24" in the SPF record of _spf.redirected.test (reached through redirect= from redirected.test)',
    );
    const manyMx = await spfFor("ada@manymx.test", "203.0.113.5", "client.test", zone);
    expect(manyMx).toMatchObject({ result: "permerror", lookups: 1 });
    expect(manyMx.reason).toBe(
      "an mx or ptr term names more than 10 hosts to look up (RFC 7208 section 4.6.4)",
    );
  });

  it("permerror when the check needs more than 10 DNS lookups (RFC 7208 section 4.6.4)", async () => {
    const ten = await spfFor("ada@ten.test", "203.0.113.5", "client.test", includes("ten.test", 10));
    const eleven = await spfFor("ada@eleven.test", "203.0.113.5", "client.test", includes("eleven.test", 11));

    expect(ten).toMatchObject({ result: "fail", lookups: 10 });
    expect(eleven).toMatchObject({ result: "permerror", lookups: 11 });
    expect(eleven.reason).toBe("the check needs more than 10 DNS lookups (RFC 7208 section 4.6.4)");
  });

  it("permerror on the third lookup that finds nothing (void lookups, RFC 7208 section 4.6.4)", async () => {
    expect(await spfFor("ada@two.voids.test", "203.0.113.5")).toMatchObject({
      result: "fail",
      voidLookups: 2,
    });
    const three = await spfFor("ada@three.voids.test", "203.0.113.5");
    expect(three).toMatchObject({ result: "permerror", voidLookups: 3 });
    expect(three.reason).toMatch(/more than 2 lookups found no record/);
  });

  it("checks the HELO name for the null sender, with an a mechanism", async () => {
    const spf = await spfFor("", "192.0.2.25", "mail.example.test");

    expect(spf).toMatchObject({
      result: "pass",
      identity: "helo",
      domain: "mail.example.test",
      mechanism: "a",
      lookups: 1,
    });
  });

  it("reads an IPv4-mapped IPv6 client address as the IPv4 one", async () => {
    expect(await spfFor("ada@example.test", "::ffff:192.0.2.10")).toMatchObject({
      result: "pass",
      clientIp: "192.0.2.10",
    });
  });

  it("puts the verdict in Authentication-Results", async () => {
    const auth = await verifierOver(zoneOf(ZONE)).verify({
      raw: plainMessage(),
      ip: "203.0.113.5",
      helo: "client.test",
      mailFrom: "ada@fail.test",
    });

    expect(auth.authenticationResults).toContain(
      'spf=fail (203.0.113.5 is not permitted: "-all" in the SPF record of fail.test fails it) smtp.mailfrom=ada@fail.test',
    );
  });
});

describe("SPF with system DNS", () => {
  it("temperror when the system resolver does not answer in time, and the verification still ends", async () => {
    const system = fakeSystemDns({}, { hang: true });
    const verifier = verifierOver(zoneOf(""), { mode: "system", system, dnsBudgetMs: 200 });

    const started = performance.now();
    const auth = await verifier.verify({
      raw: plainMessage(),
      ip: "192.0.2.10",
      helo: "client.test",
      mailFrom: "ada@example.test",
    });

    expect(auth.spf.result).toBe("temperror");
    expect(auth.spf.reason).toBe("the DNS lookup of example.test timed out");
    expect(auth.dnsLookups[0]).toMatchObject({ name: "example.test", type: "TXT", source: "system" });
    expect(auth.dnsLookups[0]?.error).toMatch(/^timeout/);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("zone-then-system answers from the zone first and asks the system only for other names", async () => {
    const system = fakeSystemDns({ "TXT other.test": [["v=spf1 ip4:203.0.113.0/24 -all"]] });
    const verifier = verifierOver(zoneOf(ZONE), { mode: "zone-then-system", system });

    const inZone = await verifier.verify({
      raw: plainMessage(),
      ip: "192.0.2.10",
      helo: "c.test",
      mailFrom: "a@example.test",
    });
    const outside = await verifier.verify({
      raw: plainMessage(),
      ip: "203.0.113.9",
      helo: "c.test",
      mailFrom: "a@other.test",
    });

    expect(inZone.spf.result).toBe("pass");
    expect(system.asked).not.toContain("TXT example.test");
    expect(outside.spf).toMatchObject({ result: "pass", mechanism: "ip4:203.0.113.0/24" });
    expect(system.asked).toContain("TXT other.test");
  });
});
