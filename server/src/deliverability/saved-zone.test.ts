import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DkimKey, DnsRecordList, StoredMessage } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../sandbox.js";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { tempDir, testConfig, useCleanup } from "../test-support/test-sandbox.js";
import { SAVED_ZONE_FILE } from "./saved-zone.js";

const cleanup = useCleanup();

async function start(dataDir: string | null, dnsZoneFile: string | null = null) {
  const sandbox = await startSandbox(testConfig(dataDir, { dnsZoneFile }));
  cleanup(() => sandbox.close());
  return sandbox;
}

async function names(url: string): Promise<string[]> {
  const { body } = await fetchJson<DnsRecordList>(url, "GET", "/api/dns/records");
  return body.records.map((record) => `${record.name} ${record.type} ${record.value}`).sort();
}

describe("the DNS zone of a sandbox with a data directory", () => {
  it("is there again after a restart, as the API left it, and verification reads it", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await start(dataDir);
    const spf = { name: "example.test", type: "TXT", value: "v=spf1 ip4:127.0.0.1 -all" };
    expect((await fetchJson(first.url, "POST", "/api/dns/records", spf)).status).toBe(201);
    const gone = { name: "gone.example.test", type: "A", value: "192.0.2.1" };
    expect((await fetchJson(first.url, "POST", "/api/dns/records", gone)).status).toBe(201);
    const key = await fetchJson<DkimKey>(first.url, "POST", "/api/dns/dkim-keys", {
      domain: "example.test",
      selector: "s1",
    });
    expect(key.status).toBe(201);
    await fetchJson(first.url, "DELETE", "/api/dns/records?name=gone.example.test");
    const before = await names(first.url);
    await first.close();

    const second = await start(dataDir);
    expect(await names(second.url)).toEqual(before);
    expect(before).toContain("example.test TXT v=spf1 ip4:127.0.0.1 -all");
    expect(before.some((record) => record.startsWith("s1._domainkey.example.test TXT v=DKIM1;"))).toBe(true);
    expect(before.some((record) => record.startsWith("gone."))).toBe(false);

    // The key made before the restart still verifies what is signed with it.
    const info = await mailerFor(cleanup, { port: second.smtpPort }).sendMail({
      from: "ada@example.test",
      to: "bob@mailnest.test",
      subject: "signed before, verified after",
      text: "hello",
      dkim: { domainName: "example.test", keySelector: "s1", privateKey: key.body.privateKeyPem },
    });
    const message = await fetchJson<StoredMessage>(
      second.url,
      "GET",
      `/api/messages/${queuedId(info.response)}`,
    );
    expect(message.body.authentication?.dkim[0]?.result).toBe("pass");
    expect(message.body.authentication?.spf.result).toBe("pass");
  }, 60_000);

  it("saves only what the API changed: the zone file's records come from the file at each start", async () => {
    const dataDir = await tempDir(cleanup);
    const zoneFile = path.join(dataDir, "..", `${path.basename(dataDir)}.zone`);
    await writeFile(zoneFile, '$ORIGIN file.test.\n@ TXT "from the file"\n');
    cleanup(() => rm(zoneFile, { force: true }));
    const first = await start(dataDir, zoneFile);
    await fetchJson(first.url, "POST", "/api/dns/records", {
      name: "api.test",
      type: "TXT",
      value: "from the API",
    });
    await first.close();
    await writeFile(zoneFile, '$ORIGIN file.test.\n@ TXT "from the file, edited"\n');

    const second = await start(dataDir, zoneFile);
    // The file is read at every start: its old record is not kept beside the edited one.
    expect(await names(second.url)).toEqual([
      "api.test TXT from the API",
      "file.test TXT from the file, edited",
    ]);
    const saved = JSON.parse(await readFile(path.join(dataDir, SAVED_ZONE_FILE), "utf8")) as {
      records: Array<{ name: string }>;
    };
    expect(saved.records.map((record) => record.name)).toEqual(["api.test"]);
  }, 60_000);

  it("is not written anywhere without a data directory", async () => {
    const memory = await start(null);
    await fetchJson(memory.url, "POST", "/api/dns/records", {
      name: "x.test",
      type: "A",
      value: "192.0.2.9",
    });
    expect(existsSync(SAVED_ZONE_FILE)).toBe(false);
    expect(await names(memory.url)).toEqual(["x.test A 192.0.2.9"]);
  });
});
