import "../test-support/mailauth-parts-first.js";
import { authenticate } from "mailauth";
import { describe, expect, it } from "vitest";
import { plainMessage, signWithMailauth, verifierOver, zoneOf } from "../test-support/deliverability-kit.js";
import { generateDkimKeyPair } from "./dkim-keys.js";
import { createDnsResolver } from "./dns-resolver.js";
import type { DnsZone } from "./dns-zone.js";

const key = await generateDkimKeyPair("rsa");

/** example.test allows 192.0.2.0/24; mail.example.test allows 198.51.100.0/24; keys for both. */
function zoneWith(dmarc: string): DnsZone {
  const zone = zoneOf(`
$ORIGIN example.test.
@                 TXT "v=spf1 ip4:192.0.2.0/24 -all"
mail              TXT "v=spf1 ip4:198.51.100.0/24 -all"
_dmarc            TXT "${dmarc}"
`);
  zone.add({ name: "s1._domainkey.example.test", type: "TXT", value: key.record });
  zone.add({ name: "s1._domainkey.mail.example.test", type: "TXT", value: key.record });
  return zone;
}

async function signedBy(domain: string, from = "ada@example.test"): Promise<Buffer> {
  return signWithMailauth(plainMessage({ from }), { domain, selector: "s1", privateKey: key.privateKeyPem });
}

const OUTSIDER = { ip: "203.0.113.5", helo: "client.test" };

describe("DMARC", () => {
  it("passes through DKIM alignment alone when SPF fails", async () => {
    const zone = zoneWith("v=DMARC1; p=reject");
    const auth = await verifierOver(zone).verify({
      raw: await signedBy("example.test"),
      ...OUTSIDER,
      mailFrom: "ada@example.test",
    });

    expect(auth.spf.result).toBe("fail");
    expect(auth.dmarc).toMatchObject({
      result: "pass",
      alignedBy: ["dkim"],
      dkimDomain: "example.test",
      spfDomain: null,
      policy: "reject",
      record: "v=DMARC1; p=reject",
      recordName: "_dmarc.example.test",
    });
    expect(auth.authenticationResults).toContain("dmarc=pass (p=REJECT sp=REJECT) header.from=example.test");
  });

  it("passes through SPF alignment alone for an unsigned message", async () => {
    const zone = zoneWith("v=DMARC1; p=reject");
    const auth = await verifierOver(zone).verify({
      raw: plainMessage(),
      ip: "192.0.2.10",
      helo: "mail.example.test",
      mailFrom: "bounce@example.test",
    });

    expect(auth.dkim).toEqual([]);
    expect(auth.dmarc).toMatchObject({
      result: "pass",
      alignedBy: ["spf"],
      spfDomain: "example.test",
      dkimDomain: null,
    });
  });

  it("fails under p=reject when neither identifier passes", async () => {
    const zone = zoneWith("v=DMARC1; p=reject; sp=quarantine");
    const auth = await verifierOver(zone).verify({
      raw: plainMessage(),
      ...OUTSIDER,
      mailFrom: "ada@example.test",
    });

    expect(auth.dmarc).toMatchObject({
      result: "fail",
      policy: "reject",
      subdomainPolicy: "quarantine",
      appliedPolicy: "reject",
      alignedBy: [],
    });
    expect(auth.dmarc.reason).toBe(
      "no DKIM signature passed; SPF is fail; the policy that applies is p=reject",
    );
  });

  it.each([
    [
      "p=reject; pct=0",
      "quarantine",
      0,
      " (pct=0: p=reject is applied to no failing message; each gets the next milder policy)",
    ],
    [
      "p=quarantine; pct=0",
      "none",
      0,
      " (pct=0: p=quarantine is applied to no failing message; each gets the next milder policy)",
    ],
    ["p=reject; pct=25", "reject", 25, " for 25 % of failing mail (pct=25); the rest gets quarantine"],
    ["p=reject; pct=250", "reject", 100, ""],
    ["p=reject; pct=x", "reject", 100, ""],
  ])(
    "a failing message under %s: applied %s (RFC 7489 section 6.6.4)",
    async (record, applied, percentage, tail) => {
      const zone = zoneWith(`v=DMARC1; ${record}`);
      const auth = await verifierOver(zone).verify({
        raw: plainMessage(),
        ...OUTSIDER,
        mailFrom: "ada@example.test",
      });

      expect(auth.dmarc).toMatchObject({ result: "fail", appliedPolicy: applied, percentage });
      expect(auth.dmarc.reason).toBe(
        `no DKIM signature passed; SPF is fail; the policy that applies is p=${applied}${tail}`,
      );
    },
  );

  describe("strict and relaxed alignment on a subdomain", () => {
    it("a signature by mail.example.test aligns with example.test under adkim=r, not under adkim=s", async () => {
      const raw = await signedBy("mail.example.test");
      const relaxed = await verifierOver(zoneWith("v=DMARC1; p=reject; adkim=r")).verify({
        raw,
        ...OUTSIDER,
        mailFrom: "",
      });
      const strict = await verifierOver(zoneWith("v=DMARC1; p=reject; adkim=s")).verify({
        raw,
        ...OUTSIDER,
        mailFrom: "",
      });

      expect(relaxed.dkim[0]).toMatchObject({ result: "pass", domain: "mail.example.test", aligned: true });
      expect(relaxed.dmarc).toMatchObject({
        result: "pass",
        alignment: { dkim: "relaxed" },
        dkimDomain: "mail.example.test",
      });
      expect(strict.dkim[0]).toMatchObject({ result: "pass", domain: "mail.example.test", aligned: false });
      expect(strict.dmarc).toMatchObject({ result: "fail", alignment: { dkim: "strict" }, alignedBy: [] });
      expect(strict.dmarc.reason).toContain(
        "DKIM passed only for d=mail.example.test, which does not align with example.test under strict alignment",
      );
    });

    it("an SPF pass for mail.example.test aligns with example.test under aspf=r, not under aspf=s", async () => {
      const envelope = {
        ip: "198.51.100.7",
        helo: "mail.example.test",
        mailFrom: "bounce@mail.example.test",
      };
      const relaxed = await verifierOver(zoneWith("v=DMARC1; p=reject")).verify({
        raw: plainMessage(),
        ...envelope,
      });
      const strict = await verifierOver(zoneWith("v=DMARC1; p=reject; aspf=s")).verify({
        raw: plainMessage(),
        ...envelope,
      });

      expect(relaxed.spf).toMatchObject({ result: "pass", domain: "mail.example.test" });
      expect(relaxed.dmarc).toMatchObject({
        result: "pass",
        alignedBy: ["spf"],
        alignment: { spf: "relaxed" },
      });
      expect(strict.spf.result).toBe("pass");
      expect(strict.dmarc).toMatchObject({ result: "fail", alignment: { spf: "strict" } });
    });

    it("under strict alignment the exact domain still passes", async () => {
      const auth = await verifierOver(zoneWith("v=DMARC1; p=reject; adkim=s; aspf=s")).verify({
        raw: await signedBy("example.test"),
        ...OUTSIDER,
        mailFrom: "",
      });

      expect(auth.dmarc).toMatchObject({ result: "pass", alignedBy: ["dkim"] });
    });

    it("mailauth 4.13 on its own treats adkim=s as relaxed (why Mailnest does DMARC itself)", async () => {
      // If this starts failing after a mailauth upgrade, its alignment was fixed: see dmarc-check.ts.
      const zone = zoneWith("v=DMARC1; p=reject; adkim=s");
      const resolver = createDnsResolver({ zone });
      const result = await authenticate(await signedBy("mail.example.test"), {
        ...OUTSIDER,
        sender: "",
        mta: "mx.mailnest.test",
        disableBimi: true,
        resolver: (name: string, type: string) =>
          resolver.lookup(name, type, Number.POSITIVE_INFINITY).then(({ answers }) => answers as string[]),
      });

      expect(result.dmarc ? result.dmarc.status.result : null).toBe("pass");
    });
  });

  it("a subdomain without its own record gets the organizational record's sp=", async () => {
    const zone = zoneWith("v=DMARC1; p=none; sp=quarantine");
    const auth = await verifierOver(zone).verify({
      raw: plainMessage({ from: "news@news.example.test" }),
      ...OUTSIDER,
      mailFrom: "",
    });

    expect(auth.dmarc).toMatchObject({
      result: "fail",
      fromDomain: "news.example.test",
      organizationalDomain: "example.test",
      recordName: "_dmarc.example.test",
      policy: "none",
      subdomainPolicy: "quarantine",
      appliedPolicy: "quarantine",
    });
    // The reason names the tag that decided.
    expect(auth.dmarc.reason).toMatch(/the policy that applies is sp=quarantine$/);
  });

  it("none when there is no DMARC record", async () => {
    const auth = await verifierOver(zoneOf("")).verify({
      raw: plainMessage({ from: "ada@mail.nodmarc.test" }),
      ...OUTSIDER,
      mailFrom: "",
    });

    expect(auth.dmarc).toMatchObject({ result: "none", record: null });
    expect(auth.dmarc.reason).toBe("no DMARC record at _dmarc.mail.nodmarc.test or _dmarc.nodmarc.test");
    expect(auth.dnsLookups.map((lookup) => `${lookup.type} ${lookup.name} ${lookup.error}`)).toContain(
      "TXT _dmarc.nodmarc.test NXDOMAIN",
    );
  });

  it("permerror when From names two domains", async () => {
    const auth = await verifierOver(zoneOf("")).verify({
      raw: plainMessage({ from: "a@one.test, b@two.test" }),
      ...OUTSIDER,
      mailFrom: "",
    });

    expect(auth.dmarc).toMatchObject({ result: "permerror" });
    expect(auth.dmarc.reason).toBe("From names 2 domains (one.test, two.test); DMARC needs exactly one");
  });
});
