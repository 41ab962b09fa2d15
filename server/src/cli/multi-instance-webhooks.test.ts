/**
 * Issue #18, part 2: several `mailnest` processes on one PostgreSQL database share their webhook
 * endpoints and delivery queue (docs/scaling.md, "Webhooks"): each event is queued once, by the
 * instance where it happened, and delivered once, by the instance that has the delivery turn; the
 * queue outlives any one instance, a `kill -9` of the one delivering included.
 */
import type {
  WebhookDeliveryList,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEvent,
} from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { fetchJson } from "../test-support/fetch-json.js";
import { mailerFor } from "../test-support/mailer.js";
import { type MailnestInstance, startInstances, stopInstance } from "../test-support/mailnest-instances.js";
import { createTestDatabase } from "../test-support/postgres/use-test-database.js";
import { queuedId } from "../test-support/smtp-test-client.js";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { WebhookReceiver } from "../test-support/webhook-receiver.js";

const cleanup = useCleanup();
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** The instance whose SMTP accepted a message. */
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

/** `mailnest_webhooks_delivering` from the instance's `/metrics`. */
async function delivering(instance: MailnestInstance): Promise<boolean> {
  const text = await (await fetch(`${instance.url}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith("mailnest_webhooks_delivering "));
  if (!line) throw new Error("no mailnest_webhooks_delivering in /metrics");
  return line.endsWith(" 1");
}

/** The one instance of `instances` that has the delivery turn, once exactly one has it. */
async function deliverer(instances: MailnestInstance[]): Promise<MailnestInstance> {
  let holders: MailnestInstance[] = [];
  await expect
    .poll(
      async () => {
        const held = await Promise.all(instances.map(delivering));
        holders = instances.filter((_, i) => held[i]);
        return holders.length;
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  return holders[0]!;
}

async function endpoints(instance: MailnestInstance): Promise<WebhookEndpoint[]> {
  return (await fetchJson<WebhookEndpointList>(instance.url, "GET", "/api/webhooks")).body.endpoints;
}

describe("webhooks with two instances on one database, both given the same --webhook", () => {
  it("5 messages sent to A and B are delivered 5 times, by the instance with the turn; a delete on B once", async () => {
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
    // earlier change of the other one, and the one queue is delivered in order: once both markers
    // arrived, everything either instance would ever queue about the five is in.
    const markers = [await send(a, "marker A"), await send(b, "marker B")];
    const arrived = (marker: Sent) =>
      receiver.accepted.some((request) => request.event !== null && receivedId(request.event) === marker.id);
    await expect.poll(() => markers.every(arrived), { timeout: 30_000 }).toBe(true);

    expect(receiver.received.every((request) => request.verifyError === null)).toBe(true);
    const events = receiver.accepted.map((request) => request.event!);
    const received = events.filter((event) => event.type === "message.received");
    expect(received.map(receivedId).sort()).toEqual([...sent, ...markers].map((m) => m.id).sort());
    // Sent by the instance with the turn: its links point at it, and it serves each message.
    const holder = await deliverer([a, b]);
    for (const message of [...sent, ...markers]) {
      const event = received.find((candidate) => receivedId(candidate) === message.id)!;
      expect(JSON.stringify(event)).toContain(`${holder.url}/api/messages/${message.id}`);
    }
    // One endpoint (both were given it; the second found it there), with one delivery log.
    const [listedA, listedB] = [await endpoints(a), await endpoints(b)];
    expect(listedA).toHaveLength(1);
    expect(listedB.map((endpoint) => endpoint.id)).toEqual(listedA.map((endpoint) => endpoint.id));
    const log = async (instance: MailnestInstance) =>
      (
        await fetchJson<WebhookDeliveryList>(
          instance.url,
          "GET",
          `/api/webhooks/${listedA[0]!.id}/deliveries`,
        )
      ).body.deliveries.map((delivery) => [delivery.id, delivery.state]);
    await expect.poll(() => log(b), { timeout: 10_000 }).toEqual(await log(a));
    expect((await log(a)).every(([, state]) => state === "delivered")).toBe(true);
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
    // One queue, delivered in order: once both markers are in, so would be any second copy.
    await expect
      .poll(
        () =>
          markers.every((marker) =>
            receiver.accepted.some(
              (request) => request.event !== null && receivedId(request.event) === marker.id,
            ),
          ),
        { timeout: 30_000 },
      )
      .toBe(true);

    const ids = receiver.accepted.map((request) => receivedId(request.event!));
    expect(ids.sort()).toEqual([first, whileAway, ...markers].map((m) => m.id).sort());
  }, 180_000);
});

describe("webhook endpoints and deliveries with two instances on one database", () => {
  it("an endpoint added through A's API is listed by B and gets B's mail; B's API shows its log and deletes it for both", async () => {
    const receiver = await WebhookReceiver.start(cleanup, { secret: SECRET });
    const database = await createTestDatabase(cleanup);
    const [a, b] = await startInstances(cleanup, database.url, ["A", "B"]);
    if (!a || !b) throw new Error("two instances were started");

    const created = await fetchJson<WebhookEndpoint>(a.url, "POST", "/api/webhooks", {
      url: receiver.url,
      secret: SECRET,
      events: ["message.received"],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // On B a moment later: the time A's NOTIFY takes (docs/scaling.md).
    await expect
      .poll(async () => (await endpoints(b)).map((endpoint) => endpoint.id), { timeout: 10_000 })
      .toEqual([id]);

    const message = await send(b, "to B");
    await expect.poll(() => receiver.accepted.length, { timeout: 30_000 }).toBe(1);
    expect(receivedId(receiver.accepted[0]!.event!)).toBe(message.id);
    const logOn = async (instance: MailnestInstance) =>
      (await fetchJson<WebhookDeliveryList>(instance.url, "GET", `/api/webhooks/${id}/deliveries`)).body
        .deliveries;
    await expect
      .poll(async () => (await logOn(a)).map((delivery) => delivery.state), { timeout: 10_000 })
      .toEqual(["delivered"]);
    const onA = (await logOn(a)).map((delivery) => [delivery.id, delivery.state]);
    await expect
      .poll(async () => (await logOn(b)).map((delivery) => [delivery.id, delivery.state]), {
        timeout: 10_000,
      })
      .toEqual(onA);

    // Paused and resumed through the instance that does not deliver: the one that does resumes.
    const holder = await deliverer([a, b]);
    const other = holder === a ? b : a;
    await fetchJson(other.url, "PATCH", `/api/webhooks/${id}`, { paused: true });
    await expect.poll(async () => (await endpoints(holder))[0]?.paused, { timeout: 10_000 }).toBe(true);
    const whilePaused = await send(holder, "while paused");
    await expect.poll(async () => (await endpoints(other))[0]?.pending, { timeout: 10_000 }).toBe(1);
    await fetchJson(other.url, "PATCH", `/api/webhooks/${id}`, { paused: false });
    await expect.poll(() => receiver.accepted.length, { timeout: 30_000 }).toBe(2);
    expect(receivedId(receiver.accepted[1]!.event!)).toBe(whilePaused.id);

    expect((await fetch(`${b.url}/api/webhooks/${id}`, { method: "DELETE" })).status).toBe(204);
    await expect.poll(() => endpoints(a), { timeout: 10_000 }).toEqual([]);
    await send(a, "after the delete");
    await send(b, "after the delete");
    // Nothing queued for a deleted endpoint: the two deliveries stay the only ones.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.received).toHaveLength(2);
  }, 180_000);

  it("what the delivering instance queued is delivered by the other after a kill -9 of it", async () => {
    const receiver = await WebhookReceiver.start(cleanup, { secret: SECRET });
    const database = await createTestDatabase(cleanup);
    const hooks = ["--webhook", receiver.url, "--webhook-secret", SECRET];
    // Started first, so it takes the turn; B then waits for it.
    const [a] = await startInstances(cleanup, database.url, ["A"], hooks);
    if (!a) throw new Error("A was started");
    expect(await deliverer([a])).toBe(a);
    const [b] = await startInstances(cleanup, database.url, ["B"], hooks);
    if (!b) throw new Error("B was started");
    expect(await deliverer([a, b])).toBe(a);
    const [endpoint] = await endpoints(b);
    // Paused (through B), so that what is queued is still waiting when A dies.
    const paused = await fetchJson<WebhookEndpoint>(b.url, "PATCH", `/api/webhooks/${endpoint!.id}`, {
      paused: true,
    });
    expect(paused.body.paused).toBe(true);
    await expect.poll(async () => (await endpoints(a))[0]?.paused, { timeout: 10_000 }).toBe(true);

    const sent = [await send(a, "one"), await send(a, "two"), await send(b, "three"), await send(a, "four")];
    await expect.poll(async () => (await endpoints(b))[0]?.pending, { timeout: 10_000 }).toBe(4);
    a.cli.kill("SIGKILL");
    expect((await a.cli.exited).signal).toBe("SIGKILL");

    // PostgreSQL ends A's session, which frees the turn for B.
    await expect.poll(() => delivering(b), { timeout: 15_000 }).toBe(true);
    await fetchJson(b.url, "PATCH", `/api/webhooks/${endpoint!.id}`, { paused: false });
    await expect.poll(() => receiver.accepted.length, { timeout: 30_000 }).toBe(4);
    expect(receiver.accepted.map((request) => receivedId(request.event!))).toEqual(sent.map((m) => m.id));
    expect(receiver.received.every((request) => request.verifyError === null)).toBe(true);
    // Links point at B, which is up.
    expect(JSON.stringify(receiver.accepted[0]!.event)).toContain(`${b.url}/api/messages/${sent[0]!.id}`);
  }, 180_000);
});
