import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { DkimKey, DnsRecordList, StoredMessage } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { plainMessage } from "../test-support/deliverability-kit.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { ZoneFileError } from "./zone-file.js";

const cleanup = useCleanup();

/** How long a change may take to reach another instance on a loaded machine. */
const PROPAGATION = { timeout: 15_000 };

/** Two instances of one sandbox on a fresh database, each started with its own zone file. */
async function twoInstances(zoneA: string, zoneB: string) {
  const database = await createTestDatabase(cleanup);
  const dir = await tempDir(cleanup);
  const start = async (name: string, text: string) => {
    const dnsZoneFile = path.join(dir, name);
    await writeFile(dnsZoneFile, text);
    return startTestSandbox(cleanup, { databaseUrl: database.url, dnsZoneFile });
  };
  return [await start("a.zone", zoneA), await start("b.zone", zoneB)] as const;
}

async function recordsOf(url: string) {
  return (await fetchJson<DnsRecordList>(url, "GET", "/api/dns/records")).body.records;
}

describe("the DNS zone of several instances on PostgreSQL", () => {
  it("a record added through A's API decides the verdicts of mail B receives, reused verdicts included", async () => {
    const [a, b] = await twoInstances(
      `$ORIGIN example.test.\n_dmarc TXT "v=DMARC1; p=reject"\n`,
      `$ORIGIN other.test.\n@ TXT "v=spf1 -all"\n`,
    );
    // Each zone file joins the shared zone.
    for (const url of [a.url, b.url]) await expect.poll(async () => (await recordsOf(url)).length).toBe(2);

    const client = await SmtpTestClient.open(b.smtpPort);
    cleanup(() => client.quit());
    const send = async (subject: string) => {
      const raw = plainMessage({ subject, headers: { "Message-ID": `<${subject}@example.test>` } });
      const id = queuedId(
        (await client.sendMessage({ from: "ada@example.test", to: ["bob@mailnest.test"], raw })).raw,
      );
      return (await fetchJson<StoredMessage>(b.url, "GET", `/api/messages/${id}`)).body.authentication;
    };

    const before = await send("before");
    const added = await fetchJson(a.url, "POST", "/api/dns/records", {
      name: "example.test",
      type: "TXT",
      value: "v=spf1 ip4:127.0.0.1 -all",
    });
    await expect
      .poll(
        async () => (await recordsOf(b.url)).some((record) => record.value.startsWith("v=spf1 ip4")),
        PROPAGATION,
      )
      .toBe(true);
    // Same envelope as `before`, whose verdicts B keeps for reuse: the new zone must forget them.
    const after = await send("after");

    expect(added.status).toBe(201);
    expect([before, after].map((auth) => [auth?.spf.result, auth?.dmarc.result])).toEqual([
      ["none", "fail"],
      ["pass", "pass"],
    ]);

    const deleted = await fetchJson<{ deleted: number }>(
      b.url,
      "DELETE",
      "/api/dns/records?name=example.test",
    );
    expect(deleted.body).toEqual({ deleted: 1 });
    await expect.poll(async () => (await recordsOf(a.url)).length, PROPAGATION).toBe(2);
  });

  it("a DKIM key created through B signs mail that A verifies", async () => {
    const [a, b] = await twoInstances(`$ORIGIN example.test.\n_dmarc TXT "v=DMARC1; p=reject"\n`, "");
    const key = await fetchJson<DkimKey>(b.url, "POST", "/api/dns/dkim-keys", {
      domain: "example.test",
      selector: "shared",
    });
    await expect.poll(async () => (await recordsOf(a.url)).length, PROPAGATION).toBe(2);

    const info = await mailerFor(cleanup, { port: a.smtpPort }).sendMail({
      from: "ada@example.test",
      to: "bob@mailnest.test",
      subject: "Signed on one instance's key",
      text: "hello",
      dkim: { domainName: "example.test", keySelector: "shared", privateKey: key.body.privateKeyPem },
    });
    const message = await fetchJson<StoredMessage>(a.url, "GET", `/api/messages/${queuedId(info.response)}`);

    expect(key.status).toBe(201);
    expect(message.body.authentication?.dkim[0]).toMatchObject({
      result: "pass",
      domain: "example.test",
      selector: "shared",
    });
    expect(message.body.authentication?.dmarc.result).toBe("pass");
  });

  it("a record that conflicts with another instance's is a 400 naming the field", async () => {
    const [a, b] = await twoInstances(`$ORIGIN example.test.\nwww TXT "x"\n`, "");
    const refused = await fetchJson<{ error: { code: string; parameter: string } }>(
      b.url,
      "POST",
      "/api/dns/records",
      { name: "www.example.test", type: "CNAME", value: "elsewhere.test" },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "invalid_parameter", parameter: "type" });
    expect(await recordsOf(a.url)).toEqual([{ name: "www.example.test", type: "TXT", value: "x", ttl: 300 }]);
  });

  it("a zone file record that conflicts with the shared zone stops that instance's start, naming the line", async () => {
    const database = await createTestDatabase(cleanup);
    const dir = await tempDir(cleanup);
    const zoneA = path.join(dir, "a.zone");
    const zoneB = path.join(dir, "b.zone");
    await writeFile(zoneA, `$ORIGIN example.test.\nwww TXT "x"\n`);
    await writeFile(zoneB, `$ORIGIN example.test.\nmx A 192.0.2.1\nwww CNAME elsewhere.test.\n`);
    const a = await startTestSandbox(cleanup, { databaseUrl: database.url, dnsZoneFile: zoneA });

    const refused = await startTestSandbox(cleanup, { databaseUrl: database.url, dnsZoneFile: zoneB }).catch(
      (error: unknown) => error,
    );

    expect(refused).toBeInstanceOf(ZoneFileError);
    expect((refused as Error).message).toBe(
      `${zoneB}:3: www.example.test already has TXT records; a CNAME must be the only record of its name (beside the records of the DNS zone shared through PostgreSQL)`,
    );
    // Nothing of B's file was stored.
    expect(await recordsOf(a.url)).toEqual([{ name: "www.example.test", type: "TXT", value: "x", ttl: 300 }]);
  });
});
