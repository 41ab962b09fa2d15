import { describe, expect, it } from "vitest";
import type { MailnestConfig } from "../config.js";
import { generatedCertificate, mailerFor, sendAndFetch } from "../test-support/mailer.js";
import { SmtpTestClient } from "../test-support/smtp-test-client.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

const USERS = new Map([
  ["app", "s3cret"],
  ["worker", "token-42"],
]);

/** A sandbox and a nodemailer transport to it, authenticating with `auth`. */
async function deliverWith(overrides: Partial<MailnestConfig>, auth: Record<string, string>) {
  const sandbox = await startTestSandbox(cleanup, overrides);
  const transport = mailerFor(cleanup, { port: sandbox.smtpPort, ignoreTLS: true, auth });
  return { sandbox, send: () => sendAndFetch(sandbox, transport) };
}

describe("SMTP AUTH mechanisms, with configured users (--smtp-auth)", () => {
  it.each([
    ["PLAIN", { user: "app", pass: "s3cret", method: "PLAIN" }, "app"],
    ["LOGIN", { user: "app", pass: "s3cret", method: "LOGIN" }, "app"],
    ["CRAM-MD5", { user: "worker", pass: "token-42", method: "CRAM-MD5" }, "worker"],
    [
      "XOAUTH2 (the token is the configured password)",
      { type: "OAuth2", user: "worker", accessToken: "token-42" },
      "worker",
    ],
  ])("%s with the right secret delivers and records the user", async (_name, auth, user) => {
    const { send } = await deliverWith({ smtpUsers: USERS }, auth);
    expect((await send()).authUser).toBe(user);
  });

  it.each([
    ["PLAIN", { user: "app", pass: "wrong", method: "PLAIN" }],
    ["LOGIN", { user: "app", pass: "wrong", method: "LOGIN" }],
    ["CRAM-MD5", { user: "app", pass: "wrong", method: "CRAM-MD5" }],
    ["XOAUTH2", { type: "OAuth2", user: "app", accessToken: "wrong" }],
    ["an unknown user", { user: "stranger", pass: "s3cret", method: "PLAIN" }],
  ])("%s with a wrong secret is refused with 535 and nothing is stored", async (_name, auth) => {
    const { sandbox, send } = await deliverWith({ smtpUsers: USERS }, auth);
    await expect(send()).rejects.toMatchObject({ code: "EAUTH", responseCode: 535 });
    expect(sandbox.store.messageCount).toBe(0);
  });

  it("answers 535 5.7.8 on the wire", async () => {
    const sandbox = await startTestSandbox(cleanup, { smtpUsers: USERS });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    const reply = await client.command(`AUTH PLAIN ${Buffer.from("\0app\0nope").toString("base64")}`);
    expect(reply.code).toBe(535);
    expect(reply.lines[0]).toMatch(/^5\.7\.8 /);
  });
});

describe("SMTP AUTH by default (no users configured)", () => {
  it("advertises PLAIN, LOGIN, CRAM-MD5 and XOAUTH2, PLAIN first", async () => {
    const sandbox = await startTestSandbox(cleanup);
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    const ehlo = await client.command("EHLO again.test");
    expect(ehlo.lines).toContain("AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2");
  });

  it.each([
    ["PLAIN", { user: "anyone", pass: "anything", method: "PLAIN" }],
    ["LOGIN", { user: "anyone", pass: "anything", method: "LOGIN" }],
    ["CRAM-MD5", { user: "anyone", pass: "anything", method: "CRAM-MD5" }],
    ["XOAUTH2", { type: "OAuth2", user: "anyone", accessToken: "anything" }],
  ])("%s: any credentials are accepted and the user is recorded", async (_name, auth) => {
    const { send } = await deliverWith({}, auth);
    expect((await send()).authUser).toBe("anyone");
  });

  it("the authenticated user can be filtered on", async () => {
    const sandbox = await startTestSandbox(cleanup);
    for (const user of ["alice", "bob", "alice"]) {
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort, auth: { user, pass: "x" } });
      await sendAndFetch(sandbox, transport);
    }
    const page = await sandbox.store.list({ limit: 10, authUser: "alice" });
    expect(page.messages.map((message) => message.authUser)).toEqual(["alice", "alice"]);
    const fromApi = (await (await fetch(`${sandbox.url}/api/messages?authUser=bob`)).json()) as {
      messages: Array<{ authUser: string }>;
    };
    expect(fromApi.messages.map((message) => message.authUser)).toEqual(["bob"]);
  });
});

describe("--require-auth", () => {
  it("refuses MAIL FROM without AUTH with 530 5.7.0, and delivers after AUTH", async () => {
    const sandbox = await startTestSandbox(cleanup, { requireAuth: true });
    const client = await SmtpTestClient.open(sandbox.smtpPort);
    cleanup(() => client.destroy());
    const refused = await client.command("MAIL FROM:<app@example.test>");
    expect(refused.code).toBe(530);
    expect(refused.lines[0]).toBe("5.7.0 Authentication required");

    const anonymous = mailerFor(cleanup, { port: sandbox.smtpPort });
    await expect(sendAndFetch(sandbox, anonymous)).rejects.toMatchObject({ responseCode: 530 });
    const authenticated = mailerFor(cleanup, { port: sandbox.smtpPort, auth: { user: "app", pass: "x" } });
    expect((await sendAndFetch(sandbox, authenticated)).authUser).toBe("app");
  });
});

describe("AUTH in plain text when STARTTLS is on offer", () => {
  it("is accepted while any credentials are accepted (apps configured with a password keep working)", async () => {
    const { send } = await deliverWith({ starttls: true }, { user: "app", pass: "x" });
    expect((await send()).authUser).toBe("app");
  });

  it("is refused with 538 when users are configured, unless --allow-insecure-auth", async () => {
    const strict = await deliverWith({ starttls: true, smtpUsers: USERS }, { user: "app", pass: "s3cret" });
    await expect(strict.send()).rejects.toMatchObject({ responseCode: 538 });

    const relaxed = await deliverWith(
      { starttls: true, smtpUsers: USERS, allowInsecureAuth: true },
      { user: "app", pass: "s3cret" },
    );
    expect((await relaxed.send()).authUser).toBe("app");
  });

  it("succeeds after STARTTLS with the configured password", async () => {
    const sandbox = await startTestSandbox(cleanup, { starttls: true, smtpUsers: USERS });
    const ca = await generatedCertificate(sandbox.dataDir);
    const transport = mailerFor(cleanup, {
      port: sandbox.smtpPort,
      requireTLS: true,
      tls: { ca },
      auth: { user: "app", pass: "s3cret" },
    });
    const message = await sendAndFetch(sandbox, transport);
    expect(message).toMatchObject({ authUser: "app", tls: true });
  });
});
