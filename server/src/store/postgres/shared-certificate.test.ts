import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generatePair, isUsable, type SelfSignedPair } from "../../smtp/self-signed-certificate.js";
import { mailerFor, sendAndFetch } from "../../test-support/mailer.js";
import { createTestDatabase } from "../../test-support/postgres/use-test-database.js";
import { startTestSandbox, useCleanup } from "../../test-support/test-sandbox.js";
import { sharedCertificate } from "./shared-certificate.js";

const cleanup = useCleanup();
const NAMES = ["mailnest.test", "localhost", "127.0.0.1", "::1"];

describe("the self-signed certificate shared through PostgreSQL", () => {
  it("instances asking at once get one pair, made once; a later one gets it too; other names get their own", async () => {
    const { url } = await createTestDatabase(cleanup);
    let made = 0;
    const make = (names: readonly string[]): Promise<SelfSignedPair> => {
      made += 1;
      return generatePair(names);
    };
    const pairs = await Promise.all(
      Array.from({ length: 4 }, () => sharedCertificate(url).keep(NAMES, make, isUsable)),
    );
    expect(made).toBe(1);
    expect(new Set(pairs.map((pair) => pair.cert)).size).toBe(1);
    expect((await sharedCertificate(url).keep(NAMES, make, isUsable)).cert).toBe(pairs[0]!.cert);
    const other = await sharedCertificate(url).keep(["other.test", ...NAMES.slice(1)], make, isUsable);
    expect(other.cert).not.toBe(pairs[0]!.cert);
    expect(made).toBe(2);
  });

  it("a stored pair that is no longer usable is replaced, for everyone", async () => {
    const { url } = await createTestDatabase(cleanup);
    const first = await sharedCertificate(url).keep(NAMES, generatePair, isUsable);
    const renewed = await sharedCertificate(url).keep(NAMES, generatePair, () => false);
    expect(renewed.cert).not.toBe(first.cert);
    expect((await sharedCertificate(url).keep(NAMES, generatePair, isUsable)).cert).toBe(renewed.cert);
  });

  it("two sandboxes on one database with --tls present the same certificate, and mail through either verifies against it", async () => {
    const database = await createTestDatabase(cleanup);
    const a = await startTestSandbox(cleanup, { databaseUrl: database.url, starttls: true });
    const b = await startTestSandbox(cleanup, { databaseUrl: database.url, starttls: true });
    expect(a.tls).toMatchObject({ source: "self-signed", shared: true, certFile: null });
    expect(b.tls?.cert).toBe(a.tls?.cert);
    expect(new X509Certificate(a.tls!.cert).checkHost("localhost")).toBe("localhost");
    for (const sandbox of [a, b]) {
      // Trusting the one certificate, as a client behind a balancer would.
      const transport = mailerFor(cleanup, {
        port: sandbox.smtpPort,
        requireTLS: true,
        tls: { ca: a.tls!.cert, servername: "localhost" },
      });
      const message = await sendAndFetch(sandbox, transport);
      expect(message.tls).toBe(true);
    }
  });
});
