import { createPublicKey, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createDkimKey, InvalidDkimKeyRequestError, inspectDkimKeyRecord } from "./dkim-keys.js";
import { DnsZone } from "./dns-zone.js";
import { localZoneEditor } from "./zone-editor.js";

describe("DKIM keys", () => {
  it("creates an RSA-2048 key, publishes its public half and returns the private key", async () => {
    const zone = new DnsZone();
    const key = await createDkimKey(localZoneEditor(zone), { domain: "Example.Test", selector: "s1" });

    expect(key).toMatchObject({ domain: "example.test", selector: "s1", algorithm: "rsa", bits: 2048 });
    expect(key.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(zone.list()).toEqual([key.record]);
    expect(key.record).toMatchObject({ name: "s1._domainkey.example.test", type: "TXT" });
    expect(inspectDkimKeyRecord(key.record.value)).toEqual({ ok: true, algorithm: "rsa", bits: 2048 });
    // The published key is the private key's public half.
    const published = Buffer.from(/p=(\S+)/.exec(key.record.value)?.[1] ?? "", "base64");
    expect(createPublicKey(key.privateKeyPem).export({ type: "spki", format: "der" })).toEqual(published);
  });

  it("publishes an Ed25519 key as RFC 8463 says: k=ed25519 and the raw 32 bytes", async () => {
    const zone = new DnsZone();
    const key = await createDkimKey(localZoneEditor(zone), {
      domain: "example.test",
      selector: "ed",
      algorithm: "ed25519",
    });

    const raw = Buffer.from(/p=(\S+)/.exec(key.record.value)?.[1] ?? "", "base64");
    expect(raw).toHaveLength(32);
    expect(key.bits).toBe(256);
    const signature = sign(null, Buffer.from("data"), key.privateKeyPem);
    expect(signature).toHaveLength(64);
  });

  it("a second key for the same selector replaces the first", async () => {
    const zone = new DnsZone();
    await createDkimKey(localZoneEditor(zone), {
      domain: "example.test",
      selector: "s1",
      algorithm: "ed25519",
    });
    const second = await createDkimKey(localZoneEditor(zone), {
      domain: "example.test",
      selector: "s1",
      algorithm: "ed25519",
    });

    expect(zone.list()).toEqual([second.record]);
  });

  it.each([
    [{ domain: "example.test", selector: "" }, "selector"],
    [{ domain: "bad..test", selector: "s1" }, "domain"],
    [{ domain: "example.test", selector: "s1", algorithm: "dsa" }, "algorithm"],
    [{ domain: "example.test", selector: "s1", bits: 512 }, "bits"],
    [{ domain: "example.test", selector: "s1", algorithm: "ed25519", bits: 2048 }, "bits"],
  ])("refuses %j, naming %s", async (request, field) => {
    const error = await createDkimKey(localZoneEditor(new DnsZone()), request).catch(
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(InvalidDkimKeyRequestError);
    expect((error as InvalidDkimKeyRequestError).field).toBe(field);
  });

  it("tells a revoked key from an unreadable one", () => {
    expect(inspectDkimKeyRecord("v=DKIM1; p=")).toMatchObject({ ok: false, kind: "revoked" });
    expect(inspectDkimKeyRecord("v=DKIM1; p=bm90IGEga2V5")).toMatchObject({ ok: false, kind: "unreadable" });
    expect(inspectDkimKeyRecord("v=DKIM1; k=rsa")).toMatchObject({ ok: false, kind: "unreadable" });
  });
});
