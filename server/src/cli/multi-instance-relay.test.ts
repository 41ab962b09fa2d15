/**
 * Issue #18, part 2: relay rules and releases are the sandbox's when several `mailnest` processes
 * share one PostgreSQL database (docs/scaling.md, "Releases and auto-relay"): a rule added on one
 * instance applies to mail any instance receives, each matching message is sent to the relay once,
 * and every instance lists the same releases.
 */
import type { RelayRule, RelayRuleList, ReleaseList } from "@mailnest/protocol";
import { SMTPServer } from "smtp-server";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { type MailnestInstance, startInstances } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** The real SMTP server the sandbox relays to: records each envelope and message. */
async function relayTarget(): Promise<{ port: number; received: Array<{ to: string[]; raw: string }> }> {
  const received: Array<{ to: string[]; raw: string }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        received.push({
          to: session.envelope.rcptTo.map((address) => address.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as { port: number }).port, received };
}

async function send(instance: MailnestInstance, to: string, subject: string): Promise<string> {
  const info = await mailerFor(cleanup, { port: instance.smtpPort }).sendMail({
    from: "app@example.test",
    to,
    subject,
    text: subject,
  });
  return queuedId(info.response);
}

describe("relay with two instances on one database", () => {
  it("a rule added on A relays B's mail too, each message once; both list the same releases and rules", async () => {
    const target = await relayTarget();
    const database = await createTestDatabase(cleanup);
    const flags = [
      "--relay",
      `smtp://127.0.0.1:${target.port}/?starttls=off`,
      "--relay-allow",
      "*@device.test",
      "--relay-auto",
      "*@device.test",
    ];
    const [a, b] = await startInstances(cleanup, database.url, ["A", "B"], flags);
    if (!a || !b) throw new Error("two instances were started");

    // Both were given the --relay-auto rule: it is there once.
    const rulesOn = async (instance: MailnestInstance) =>
      (await fetchJson<RelayRuleList>(instance.url, "GET", "/api/relay/rules")).body.rules;
    expect((await rulesOn(a)).map((rule) => rule.match)).toEqual(["*@device.test"]);
    const added = await fetchJson<RelayRule>(a.url, "POST", "/api/relay/rules", {
      match: "*@lab.test",
      relayTo: ["bench@device.test"],
    });
    expect(added.status).toBe(201);
    await expect
      .poll(async () => (await rulesOn(b)).map((rule) => rule.id), { timeout: 10_000 })
      .toEqual((await rulesOn(a)).map((rule) => rule.id));

    const ids = [
      await send(a, "phone@device.test", "to a device, via A"),
      await send(b, "phone@device.test", "to a device, via B"),
      await send(b, "rig@lab.test", "to the lab, via B (A's rule)"),
      await send(a, "nobody@elsewhere.test", "matches no rule"),
    ];
    await expect.poll(() => target.received.length, { timeout: 30_000 }).toBe(3);
    const releasesOn = async (instance: MailnestInstance) =>
      (await fetchJson<ReleaseList>(instance.url, "GET", "/api/releases")).body.releases;
    await expect
      .poll(async () => (await releasesOn(b)).map((release) => release.state), { timeout: 10_000 })
      .toEqual(["delivered", "delivered", "delivered"]);
    expect((await releasesOn(a)).map((release) => release.id)).toEqual(
      (await releasesOn(b)).map((release) => release.id),
    );
    expect((await releasesOn(a)).map((release) => release.messageId).sort()).toEqual(ids.slice(0, 3).sort());
    expect(target.received.map((mail) => mail.to).sort()).toEqual([
      ["bench@device.test"],
      ["phone@device.test"],
      ["phone@device.test"],
    ]);
    // No second copy arrives later.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(target.received).toHaveLength(3);
  }, 180_000);
});
