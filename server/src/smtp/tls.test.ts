import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../sandbox.js";
import { generatedCertificate, mailerFor, sendAndFetch } from "../test-support/mailer.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, tempDir, testConfig, useCleanup } from "../test-support/test-sandbox.js";
import { isTlsCertificateError } from "./tls-certificate-error.js";

const cleanup = useCleanup();

describe("TLS on the SMTP port (STARTTLS)", () => {
  it("is not offered by default, so nodemailer's default settings deliver in plain text, credentials and all", async () => {
    const sandbox = await startTestSandbox(cleanup);
    expect(sandbox.tls).toBeNull();
    // No ignoreTLS: nodemailer upgrades whenever STARTTLS is advertised.
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort, auth: { user: "app", pass: "anything" } });

    const message = await sendAndFetch(sandbox, transport);

    expect(message.envelope.tls).toBeNull();
    expect(message.tls).toBe(false);
    expect(message.authUser).toBe("app");
  });

  it("--tls: nodemailer with requireTLS, trusting <dataDir>/tls/cert.pem, delivers and the TLS session is recorded", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true });
    const ca = await generatedCertificate(sandbox.dataDir);
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpPort,
      secure: false,
      requireTLS: true,
      tls: { ca },
    });

    const message = await sendAndFetch(sandbox, transport, { subject: "over STARTTLS" });

    expect(message.envelope.tls).toEqual({
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      cipher: expect.stringMatching(/^[A-Z0-9_-]+$/),
      implicit: false,
    });
    expect(message.tls).toBe(true);
    // The API serves the stored envelope as it is.
    const fromApi = (await (await fetch(`${sandbox.url}/api/messages/${message.id}`)).json()) as {
      tls: boolean;
      envelope: { tls: unknown };
    };
    expect(fromApi.tls).toBe(true);
    expect(fromApi.envelope.tls).toEqual(message.envelope.tls);
  });

  it("--tls: a client that skips verification (rejectUnauthorized: false) delivers too", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true, dataDir: null });
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpPort,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });

    expect((await sendAndFetch(sandbox, transport)).envelope.tls).toMatchObject({ implicit: false });
  });

  it("--tls: a verifying client that does not trust the self-signed certificate refuses it", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true });
    const transport = mailerFor(cleanup, { port: sandbox.smtpPort, requireTLS: true });

    await expect(sendAndFetch(sandbox, transport)).rejects.toThrow(/self[- ]signed certificate/i);
    expect(sandbox.store.messageCount).toBe(0);
  });

  it("the self-signed certificate is kept in the data dir and reused after a restart; another domain gets a new one", async () => {
    const dataDir = await tempDir(cleanup);
    const first = await startSandbox(testConfig(dataDir, { starttls: true }));
    const pem = await generatedCertificate(dataDir);
    await first.close();

    const second = await startSandbox(testConfig(dataDir, { starttls: true }));
    cleanup(() => second.close());
    expect(await generatedCertificate(dataDir)).toBe(pem);
    expect(second.tls).toMatchObject({
      source: "self-signed",
      certFile: path.join(dataDir, "tls", "cert.pem"),
    });
    // The old PEM still verifies the restarted server.
    const transport = mailerFor(cleanup, { port: second.smtpPort, requireTLS: true, tls: { ca: pem } });
    await sendAndFetch(second, transport);
    await second.close();

    const renamed = await startSandbox(
      testConfig(dataDir, { starttls: true, domain: "staging.example.test" }),
    );
    cleanup(() => renamed.close());
    expect(await generatedCertificate(dataDir)).not.toBe(pem);
    expect(renamed.tls?.names).toEqual(["staging.example.test", "localhost", "127.0.0.1", "::1"]);
  });

  it("in memory mode the certificate is generated for the run and nothing is written", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true, dataDir: null });
    expect(sandbox.tls).toMatchObject({ source: "self-signed", certFile: null });
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpPort,
      requireTLS: true,
      tls: { ca: sandbox.tls?.cert ?? "" },
    });
    expect((await sendAndFetch(sandbox, transport)).tls).toBe(true);
    expect(await readdir(sandbox.dataDir)).toEqual([]);
  });

  it("--tls-cert/--tls-key: the given certificate is the one presented", async () => {
    const dir = await tempDir(cleanup);
    const pems = await generate([{ name: "commonName", value: "files.test" }], {
      keyType: "ec",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    });
    const certFile = path.join(dir, "cert.pem");
    const keyFile = path.join(dir, "key.pem");
    await writeFile(certFile, pems.cert);
    await writeFile(keyFile, pems.private);

    const sandbox = await startTestSandbox(cleanup, { tls: { certFile, keyFile } });
    expect(sandbox.tls).toMatchObject({ source: "files", certFile });
    // Only this certificate is trusted, so delivery proves the server presented it.
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpPort,
      requireTLS: true,
      tls: { ca: pems.cert },
    });
    expect((await sendAndFetch(sandbox, transport)).tls).toBe(true);
    expect(await readdir(sandbox.dataDir)).not.toContain("tls");
  });

  it("unusable certificate files stop the start with a TlsCertificateError naming the file", async () => {
    const dir = await tempDir(cleanup);
    const certFile = path.join(dir, "cert.pem");
    await writeFile(certFile, "not a certificate");
    const attempts = [
      { certFile: path.join(dir, "missing.pem"), keyFile: certFile },
      { certFile, keyFile: certFile },
    ];
    for (const tls of attempts) {
      const error = await startSandbox(testConfig(dir, { tls })).catch((caught: unknown) => caught);
      expect(isTlsCertificateError(error)).toBe(true);
      expect((error as Error).message).toContain(tls.certFile);
    }
  });

  it("an empty file, or a key that is not the certificate's, stops the start too (TLS itself takes both)", async () => {
    const dir = await tempDir(cleanup);
    const write = async (name: string, content: string) => {
      const file = path.join(dir, name);
      await writeFile(file, content);
      return file;
    };
    const names = [{ name: "commonName", value: "files.test" }];
    const one = await generate(names, { keyType: "ec", algorithm: "sha256" });
    const other = await generate(names, { keyType: "ec", algorithm: "sha256" });
    const empty = await write("empty.pem", "");
    const cert = await write("cert.pem", one.cert);
    const key = await write("key.pem", one.private);
    const otherKey = await write("other-key.pem", other.private);
    const refusals = [
      [{ certFile: empty, keyFile: empty }, /empty\.pem holds no PEM certificate/],
      [{ certFile: cert, keyFile: empty }, /empty\.pem holds no PEM private key/],
      [{ certFile: cert, keyFile: otherKey }, /other-key\.pem is not the private key of the certificate/],
    ] as const;
    for (const [tls, reason] of refusals) {
      const error = await startSandbox(testConfig(dir, { tls })).catch((caught: unknown) => caught);
      expect(isTlsCertificateError(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(reason);
    }
    const sandbox = await startTestSandbox(cleanup, { tls: { certFile: cert, keyFile: key } });
    expect(sandbox.tls).toMatchObject({ source: "files", certFile: cert });
  });
});

describe("implicit TLS (--smtps-port)", () => {
  it("nodemailer with secure: true delivers on the implicit-TLS port, recorded as implicit", async () => {
    const sandbox = await startTestSandbox(cleanup, { smtpsPort: 0 });
    expect(sandbox.smtpsPort).toEqual(expect.any(Number));
    expect(sandbox.smtpsPort).not.toBe(sandbox.smtpPort);
    const ca = await generatedCertificate(sandbox.dataDir);
    const transport = mailerFor(cleanup, { port: sandbox.smtpsPort ?? 0, secure: true, tls: { ca } });

    const message = await sendAndFetch(sandbox, transport);

    expect(message.envelope.tls).toMatchObject({
      implicit: true,
      protocol: expect.stringMatching(/^TLSv1\.[23]$/),
    });
  });

  it("the plain port keeps working, without STARTTLS, next to the implicit one", async () => {
    const sandbox = await startTestSandbox(cleanup, { smtpsPort: 0 });
    const { client } = await SmtpTestClient.connect(sandbox.smtpPort);
    cleanup(() => client.destroy());
    expect((await client.command("EHLO client.test")).lines).not.toContain("STARTTLS");
  });
});

describe("--require-tls", () => {
  it("refuses MAIL FROM with 530 5.7.0 and AUTH with 538 5.7.0 before STARTTLS", async () => {
    const sandbox = await startTestSandbox(cleanup, { requireTls: true });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());

    const mail = await client.command("MAIL FROM:<app@example.test>");
    expect(mail.code).toBe(530);
    expect(mail.lines[0]).toBe("5.7.0 Must issue a STARTTLS command first");
    const auth = await client.command(`AUTH PLAIN ${Buffer.from("\0app\0pw").toString("base64")}`);
    expect(auth.code).toBe(538);
    expect(auth.lines[0]).toMatch(/^5\.7\.0 /);
  });

  it("a client that will not upgrade is refused; one that upgrades delivers", async () => {
    const sandbox = await startTestSandbox(cleanup, { requireTls: true });
    const plain = mailerFor(cleanup, { port: sandbox.smtpPort, ignoreTLS: true });
    await expect(sendAndFetch(sandbox, plain)).rejects.toMatchObject({ responseCode: 530 });

    const ca = await generatedCertificate(sandbox.dataDir);
    const secure = mailerFor(cleanup, { port: sandbox.smtpPort, requireTLS: true, tls: { ca } });
    expect((await sendAndFetch(sandbox, secure)).tls).toBe(true);
    expect(sandbox.store.messageCount).toBe(1);
  });
});

describe("certificate file", () => {
  it("keeps the private key readable by its owner only", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true });
    const mode = (await stat(path.join(sandbox.dataDir, "tls", "key.pem"))).mode & 0o777;
    expect(mode).toBe(0o600);
    expect(await readFile(path.join(sandbox.dataDir, "tls", "key.pem"), "utf8")).toMatch(/PRIVATE KEY/);
  });
});
