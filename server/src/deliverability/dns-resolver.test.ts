import { MAX_DNS_RECORD_VALUE_LENGTH, MAX_ZONE_RECORDS } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { fakeSystemDns, zoneOf } from "../test-support/deliverability-kit.js";
import type { InvalidDnsRecordError } from "./dns-record.js";
import { createDnsResolver, DnsLookupError } from "./dns-resolver.js";
import { DnsZone, type ZoneChange, ZoneFullError } from "./dns-zone.js";

const NOW = Number.POSITIVE_INFINITY;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DnsLookupError);
  return (error as DnsLookupError).code;
}

describe("the zone resolver", () => {
  const zone = zoneOf(`
$ORIGIN example.test.
@               TXT   "v=spf1 -all"
@               MX    10 mail
@               MX    20 backup.other.test.
mail            A     192.0.2.10
long            TXT   ( "${"a".repeat(255)}" "${"b".repeat(10)}" )
s1._domainkey   CNAME s1.keys.provider.test.
loop1           CNAME loop2
loop2           CNAME loop1
$ORIGIN keys.provider.test.
s1              TXT   "v=DKIM1; p="
`);
  const resolver = createDnsResolver({ zone });

  it("answers in node:dns's shapes", async () => {
    expect(await resolver.lookup("Example.Test.", "TXT", NOW)).toEqual({
      answers: [["v=spf1 -all"]],
      source: "zone",
    });
    expect((await resolver.lookup("example.test", "MX", NOW)).answers).toEqual([
      { priority: 10, exchange: "mail.example.test" },
      { priority: 20, exchange: "backup.other.test" },
    ]);
    expect((await resolver.lookup("mail.example.test", "A", NOW)).answers).toEqual(["192.0.2.10"]);
  });

  it("splits a long TXT value into strings of 255", async () => {
    expect((await resolver.lookup("long.example.test", "TXT", NOW)).answers).toEqual([
      ["a".repeat(255), "b".repeat(10)],
    ]);
  });

  it("follows CNAMEs, as a DKIM key delegated to a provider is", async () => {
    expect((await resolver.lookup("s1._domainkey.example.test", "TXT", NOW)).answers).toEqual([
      ["v=DKIM1; p="],
    ]);
  });

  it("answers SERVFAIL for a CNAME loop instead of following it forever", async () => {
    await expect(resolver.lookup("loop1.example.test", "TXT", NOW)).rejects.toThrow(
      /CNAME chain longer than 8/,
    );
    expect(await codeOf(resolver.lookup("loop1.example.test", "TXT", NOW))).toBe("ESERVFAIL");
  });

  it("NXDOMAIN for names the zone lacks, NODATA for names it has without that type", async () => {
    expect(await codeOf(resolver.lookup("nowhere.test", "TXT", NOW))).toBe("ENOTFOUND");
    expect(await codeOf(resolver.lookup("mail.example.test", "TXT", NOW))).toBe("ENODATA");
    // `_domainkey.example.test` has no records but a name below it has: it exists (RFC 8020).
    expect(await codeOf(resolver.lookup("_domainkey.example.test", "TXT", NOW))).toBe("ENODATA");
    // The common misses carry no stack (cheap), but are the same kind of error, with a message.
    const miss = await resolver.lookup("nowhere.test", "TXT", NOW).catch((error: unknown) => error);
    expect(miss).toBeInstanceOf(DnsLookupError);
    expect(miss).toMatchObject({
      code: "ENOTFOUND",
      hostname: "nowhere.test",
      message: "ENOTFOUND nowhere.test",
    });
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
  });

  it("in zone mode never asks anyone else", async () => {
    const system = fakeSystemDns({ "TXT nowhere.test": [["v=spf1 +all"]] });
    const zoneOnly = createDnsResolver({ zone, mode: "zone", system });

    expect(await codeOf(zoneOnly.lookup("nowhere.test", "TXT", NOW))).toBe("ENOTFOUND");
    expect(system.asked).toEqual([]);
  });

  it("in system mode asks only the system, and gives up at the deadline", async () => {
    const system = fakeSystemDns({ "TXT example.test": [["from the system"]] });
    const real = createDnsResolver({ zone, mode: "system", system });
    expect(await real.lookup("example.test", "TXT", NOW)).toEqual({
      answers: [["from the system"]],
      source: "system",
    });

    const hanging = createDnsResolver({ zone, mode: "system", system: fakeSystemDns({}, { hang: true }) });
    const started = performance.now();
    expect(await codeOf(hanging.lookup("example.test", "TXT", started + 50))).toBe("ETIMEOUT");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe("the zone", () => {
  it("keeps a CNAME alone at its name", () => {
    const zone = new DnsZone();
    zone.add({ name: "a.example.test", type: "TXT", value: "x" });
    expect(() => zone.add({ name: "a.example.test", type: "CNAME", value: "b.example.test" })).toThrow(
      "a.example.test already has TXT records; a CNAME must be the only record of its name",
    );
  });

  it("adding the same record twice keeps one", () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 -all" });
    zone.add({ name: "EXAMPLE.test.", type: "txt", value: "v=spf1 -all", ttl: 60 });
    expect(zone.list()).toEqual([{ name: "example.test", type: "TXT", value: "v=spf1 -all", ttl: 60 }]);
  });

  it("removes by name, type and value, and forgets names with nothing left", () => {
    const zone = new DnsZone();
    zone.add({ name: "example.test", type: "MX", value: "10 mail.example.test" });
    zone.add({ name: "example.test", type: "MX", value: "20 backup.example.test" });
    zone.add({ name: "s1._domainkey.example.test", type: "TXT", value: "v=DKIM1; p=" });
    expect(zone.remove({ name: "example.test", type: "MX", value: "10 MAIL.example.test." })).toBe(1);
    expect(zone.remove({ name: "s1._domainkey.example.test" })).toBe(1);
    expect(zone.has("_domainkey.example.test")).toBe(false);
    expect(zone.size).toBe(1);
  });

  it("names the field at fault", () => {
    const zone = new DnsZone();
    const fieldOf = (input: Record<string, unknown>) => {
      try {
        zone.add(input as never);
      } catch (error) {
        return [(error as InvalidDnsRecordError).field, (error as Error).message];
      }
      return null;
    };
    expect(fieldOf({ name: "-bad.test", type: "TXT", value: "x" })?.[0]).toBe("name");
    expect(fieldOf({ name: "ok.test", type: "SRV", value: "x" })).toEqual([
      "type",
      'type "SRV" is not supported: use one of TXT, A, AAAA, MX, CNAME',
    ]);
    expect(fieldOf({ name: "ok.test", type: "AAAA", value: "192.0.2.1" })).toEqual([
      "value",
      '"192.0.2.1" is not an IPv6 address',
    ]);
    expect(
      fieldOf({ name: "ok.test", type: "TXT", value: "x".repeat(MAX_DNS_RECORD_VALUE_LENGTH + 1) })?.[0],
    ).toBe("value");
    expect(fieldOf({ name: "ok.test", type: "TXT", value: "x", ttl: -1 })?.[0]).toBe("ttl");
    expect(fieldOf({ name: "ok.test", type: "MX", value: "99999 mail.test" })?.[0]).toBe("value");
  });

  it("replace makes the zone exactly the records given, announced as one change, and nothing when they are the same", () => {
    const zone = new DnsZone();
    zone.add({ name: "old.example.test", type: "TXT", value: "gone" });
    const changes: ZoneChange[] = [];
    zone.onChange((change) => changes.push(change));
    const records = [
      { name: "a.example.test", type: "TXT", value: "one", ttl: 300 },
      { name: "b.sub.example.test", type: "A", value: "192.0.2.1", ttl: 60 },
      { name: "a.example.test", type: "TXT", value: "two", ttl: 300 },
    ] as const;

    expect(zone.replace(records)).toBe(true);
    // Grouped by name, as `list()` always gives them: the same records again, interleaved or not, are no change.
    expect(zone.replace(records)).toBe(false);
    expect(zone.replace(zone.list())).toBe(false);
    expect(zone.replace([records[0], records[2], { ...records[1], ttl: 61 }])).toBe(true);

    expect(zone.list()).toEqual([records[0], records[2], { ...records[1], ttl: 61 }]);
    expect(zone.size).toBe(3);
    expect([zone.has("old.example.test"), zone.has("sub.example.test"), zone.has("example.test")]).toEqual([
      false,
      true,
      true,
    ]);
    expect(changes).toEqual([
      { kind: "replace", records: [records[0], records[2], records[1]] },
      { kind: "replace", records: [records[0], records[2], { ...records[1], ttl: 61 }] },
    ]);
  });

  it("replace leaves out a record that cannot stand beside the others", () => {
    const zone = new DnsZone();
    zone.replace([
      { name: "a.example.test", type: "TXT", value: "x", ttl: 300 },
      { name: "a.example.test", type: "CNAME", value: "b.example.test", ttl: 300 },
    ]);
    expect(zone.list()).toEqual([{ name: "a.example.test", type: "TXT", value: "x", ttl: 300 }]);
  });

  it(`holds at most ${MAX_ZONE_RECORDS} records`, () => {
    const zone = new DnsZone();
    for (let i = 0; i < MAX_ZONE_RECORDS; i += 1)
      zone.add({ name: `r${i}.example.test`, type: "A", value: "192.0.2.1" });
    expect(() => zone.add({ name: "one-more.example.test", type: "A", value: "192.0.2.1" })).toThrow(
      ZoneFullError,
    );
  });
});
