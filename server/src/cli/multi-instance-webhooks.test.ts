/**
 * Issue #18, part 2: several `mailnest` processes on one PostgreSQL database, all started with the
 * same `--webhook` (the natural deployment: one config behind a load balancer), deliver each event
 * once, by the instance where it happened, not once per instance (docs/scaling.md, "Webhooks").
 */
import type { WebhookEvent } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { mailerFor } from "../test-support/mailer.js";
import { type MailnestInstance, startInstances, stopInstance } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { WebhookReceiver } from "../test-support/webhook-receiver.js";

const cleanup = useCleanup();
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** The instance whose SMTP accepted a message, for the `links` of its `message.received`. */
interface Sent {
  id: string;
  via: MailnestInstance;
}

async function send(instance: MailnestInstance, subject: string): Promise<Sent> {
  const info = await mailerFor(cleanup, { port: instance.smtpPort }).sendMail({
    from: "app@example.test",
    to: "hooks@example.test",
    subject,
    text: subject,
  });
  return { id: queuedId(info.response), via: instance };
}

function receivedId(event: WebhookEvent): string | null {
  return event.type === "message.received" ? (event.data.message as { id: string }).id : null;
}

describe("webhooks with two instances on one database, both given the same --webhook", () => {
  it("5 messages sent to A and B are delivered 5 times, each by the instance that received it; a delete on B once", async () => {
    const receiver = await WebhookReceiver.start(cleanup, { secret: SECRET });
    const database = await createTestDatabase(cleanup);
    const [a, b] = await startInstances(
      cleanup,
      database.url,
      ["A", "B"],
      ["--webhook", receiver.url, "--webhook-secret", SECRET],
    );
    if (!a || !b) throw new Error("two instances were started");

    const sent: Sent[] = [];
    for (const [i, instance] of [a, a, b, a, b].entries()) sent.push(await send(instance, `message ${i}`));
    const deleted = sent[0]!;
    const response = await fetch(`${b.url}/api/messages/${deleted.id}`, { method: "DELETE" });
    expect(response.status).toBe(204);
    // A marker per instance, last. Before storing it, each instance has applied (and announced) every
    // earlier change of the other one, and it delivers in order: once each marker arrived from its own
    // instance, everything either instance would ever send about the five is in.
    const markers = [await send(a, "marker A"), await send(b, "marker B")];
    const fromItsInstance = (marker: Sent) =>
      receiver.accepted.some(
        (request) =>
          request.event !== null &&
          receivedId(request.event) === marker.id &&
          JSON.stringify(request.event).includes(`${marker.via.url}/api/messages/`),
      );
    await expect.poll(() => markers.every(fromItsInstance), { timeout: 30_000 }).toBe(true);

    expect(receiver.received.every((request) => request.verifyError === null)).toBe(true);
    const events = receiver.accepted.map((request) => request.event!);
    const received = events.filter((event) => event.type === "message.received");
    expect(received.map(receivedId).sort()).toEqual([...sent, ...markers].map((m) => m.id).sort());
    // Each sent by the instance whose SMTP took the message (its links point there).
    for (const message of [...sent, ...markers]) {
      const event = received.find((candidate) => receivedId(candidate) === message.id)!;
      expect(JSON.stringify(event)).toContain(`${message.via.url}/api/messages/${message.id}`);
    }
    const deletions = events.filter((event) => event.type === "message.deleted");
    expect(deletions).toHaveLength(1);
    expect(deletions[0]).toMatchObject({ data: { id: deleted.id } });
    expect(events).toHaveLength(sent.length + markers.length + 1);
  }, 180_000);

  it("an instance restarted on its --data-dir does not send again what the other stored while it was away", async () => {
    const receiver = await WebhookReceiver.start(cleanup, { secret: SECRET });
    const database = await createTestDatabase(cleanup);
    const hooks = ["--webhook", receiver.url, "--webhook-secret", SECRET];
    const dataDir = await tempDir(cleanup);
    const [a] = await startInstances(cleanup, database.url, ["A"], [...hooks, "--data-dir", dataDir]);
    const [b] = await startInstances(cleanup, database.url, ["B"], hooks);
    if (!a || !b) throw new Error("two instances were started");
    const first = await send(a, "before the restart");
    await expect.poll(() => receiver.accepted.length, { timeout: 30_000 }).toBe(1);

    await stopInstance(a.cli);
    // Stored (and sent) by B while A is away: past A's last queued message in the shared store.
    const whileAway = await send(b, "while A is away");
    const [restarted] = await startInstances(
      cleanup,
      database.url,
      ["A again"],
      [...hooks, "--data-dir", dataDir],
    );
    if (!restarted) throw new Error("A was restarted");
    const markers = [await send(restarted, "marker A"), await send(b, "marker B")];
    // Each instance delivers in order, and a restarted A would queue what it caught up from the
    // store before its marker: once both markers are in, so would be any second copy.
    await expect
      .poll(
        () =>
          markers.every((marker) =>
            receiver.accepted.some(
              (request) =>
                request.event !== null &&
                receivedId(request.event) === marker.id &&
                JSON.stringify(request.event).includes(`${marker.via.url}/api/messages/`),
            ),
          ),
        { timeout: 30_000 },
      )
      .toBe(true);

    const ids = receiver.accepted.map((request) => receivedId(request.event!));
    expect(ids.sort()).toEqual([first, whileAway, ...markers].map((m) => m.id).sort());
  }, 180_000);
});
