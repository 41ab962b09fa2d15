import type { DnsRecord } from "@mailnest/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { createDkimKey } from "../../deliverability/dkim-keys.js";
import { InvalidDnsRecordError } from "../../deliverability/dns-record.js";
import { DnsZone, type ZoneChange } from "../../deliverability/dns-zone.js";
import { createDatabaseOn, type TestDatabase } from "../../test-support/postgres/test-database.js";
import { testPostgresServerUrl } from "../../test-support/postgres/use-test-database.js";
import { StorageFailedError } from "../errors.js";
import { connect } from "./connect.js";
import { PostgresDnsZone } from "./postgres-dns-zone.js";

const opened: PostgresDnsZone[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((shared) => shared.close()));
  await Promise.all(databases.splice(0).map((database) => database.drop()));
});

/** How long a notification may take to reach the other copy on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

async function freshDatabase(): Promise<string> {
  const database = await createDatabaseOn(testPostgresServerUrl());
  databases.push(database);
  return database.url;
}

/** One instance's copy of the shared zone, with `seed` then added (as the lab adds its zone file). */
async function instance(url: string, seed: DnsRecord[] = []) {
  const zone = new DnsZone();
  const shared = await PostgresDnsZone.open(url, zone);
  opened.push(shared);
  if (seed.length > 0)
    await shared.edit((records) => {
      for (const record of seed) records.add(record);
    });
  return { zone, shared };
}

const txt = (name: string, value: string, ttl = 300): DnsRecord => ({ name, type: "TXT", value, ttl });

describe("the DNS zone shared through PostgreSQL", () => {
  it("a record added through one instance reaches the other's copy, and so does its removal", async () => {
    const url = await freshDatabase();
    const a = await instance(url);
    const b = await instance(url);
    const changes: ZoneChange[] = [];
    b.zone.onChange((change) => changes.push(change));

    const added = await a.shared.edit((zone) => zone.add(txt("example.test", "v=spf1 ip4:127.0.0.1 -all")));
    // The instance that made the change holds it as soon as the edit resolves.
    expect(a.zone.list()).toEqual([added]);
    await expect.poll(() => b.zone.list(), PROPAGATION).toEqual([added]);
    // One change on the other copy, whole: a verification thread never sees half of it.
    expect(changes).toEqual([{ kind: "replace", records: [added] }]);

    expect(await b.shared.edit((zone) => zone.remove({ name: "example.test", type: "TXT" }))).toBe(1);
    expect(b.zone.list()).toEqual([]);
    await expect.poll(() => a.zone.list(), PROPAGATION).toEqual([]);
  });

  it("opening makes the local zone a copy of the shared one", async () => {
    const url = await freshDatabase();
    const a = await instance(url, [txt("shared.example.test", "x")]);
    const zone = new DnsZone();
    zone.add(txt("local-only.example.test", "y"));

    const b = await PostgresDnsZone.open(url, zone);
    opened.push(b);

    expect(zone.list()).toEqual(a.zone.list());
  });

  it("records added by each instance at its start join the shared zone, and starting again adds nothing twice", async () => {
    const url = await freshDatabase();
    const fileA = [txt("a.example.test", "from a"), txt("both.example.test", "same")];
    const fileB = [txt("b.example.test", "from b"), txt("both.example.test", "same")];
    const a = await instance(url, fileA);
    const b = await instance(url, fileB);
    const again = await instance(url, fileA);

    const union = [...fileA, fileB[0]];
    for (const copy of [a, b, again]) await expect.poll(() => copy.zone.list(), PROPAGATION).toEqual(union);
    const sql = connect(url, { max: 1 });
    try {
      const rows = await sql`SELECT name FROM mailnest_dns_records`;
      expect(rows).toHaveLength(3);
      // Three starts, two of them adding something: an edit that changes nothing bumps no version.
      expect(await sql`SELECT version FROM mailnest_dns_zone`).toEqual([{ version: 2 }]);
    } finally {
      await sql.end();
    }
  });

  it("a record is checked against every instance's records, and a refusal comes back as the zone threw it", async () => {
    const url = await freshDatabase();
    const a = await instance(url);
    const b = await instance(url);
    await a.shared.edit((zone) => zone.add(txt("www.example.test", "x")));

    // B checks against the database, not its copy, which may not have heard of A's record yet.
    const refused = await b.shared
      .edit((zone) => zone.add({ name: "www.example.test", type: "CNAME", value: "other.test" }))
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(InvalidDnsRecordError);
    expect((refused as Error).message).toBe(
      "www.example.test already has TXT records; a CNAME must be the only record of its name",
    );
    await expect.poll(() => b.zone.list(), PROPAGATION).toEqual([txt("www.example.test", "x")]);
  });

  it("edits racing from two instances all land, and both copies end the same", async () => {
    const url = await freshDatabase();
    const a = await instance(url);
    const b = await instance(url);

    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? a : b).shared.edit((zone) => zone.add(txt(`r${i}.example.test`, `record ${i}`))),
      ),
    );

    await expect.poll(() => a.zone.size, PROPAGATION).toBe(40);
    await expect.poll(() => b.zone.list(), PROPAGATION).toEqual(a.zone.list());
  });

  it("a TTL changed keeps the record's place; a DKIM key replaces the TXT record at its name", async () => {
    const url = await freshDatabase();
    const a = await instance(url, [txt("first.example.test", "1"), txt("second.example.test", "2")]);
    const b = await instance(url);

    await a.shared.edit((zone) => zone.add(txt("first.example.test", "1", 60)));
    const key = await createDkimKey(a.shared, {
      domain: "example.test",
      selector: "s1",
      algorithm: "ed25519",
    });
    const second = await createDkimKey(b.shared, {
      domain: "example.test",
      selector: "s1",
      algorithm: "ed25519",
    });

    const expected = [txt("first.example.test", "1", 60), txt("second.example.test", "2"), second.record];
    expect(second.record.value).not.toBe(key.record.value);
    await expect.poll(() => a.zone.list(), PROPAGATION).toEqual(expected);
    await expect.poll(() => b.zone.list(), PROPAGATION).toEqual(expected);
  });

  it("an edit the database cannot take is a StorageFailedError, and the copy stays as it was", async () => {
    const url = await freshDatabase();
    const a = await instance(url, [txt("kept.example.test", "x")]);
    await a.shared.close();

    const failed = await a.shared
      .edit((zone) => zone.add(txt("new.example.test", "y")))
      .catch((error) => error);

    expect(failed).toBeInstanceOf(StorageFailedError);
    expect((failed as StorageFailedError).message).toMatch(/changing the DNS zone in PostgreSQL/);
    expect(a.zone.list()).toEqual([txt("kept.example.test", "x")]);
  });
});
