import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

/**
 * `inbox.nextMessage()` means "after the call", exactly: a message whose 250 the caller saw before
 * the call is never returned, and one sent right after it (no await in between, so possibly before
 * the wait's request reaches the server) is never missed. Checked in tight loops, on this machine's
 * clock and on a server clock that is an hour off either way.
 */
const LOOPS = 1000;
const SKEWED_LOOPS = 300;
/** A loop of a thousand arm/send/wait cycles takes seconds; this bounds it on a loaded CI machine. */
const LOOP_TIMEOUT_MS = 240_000;

async function sendThenArm(server: TestServer, loops: number): Promise<string[]> {
  const inbox = await server.mail.createInbox();
  const wrong: string[] = [];
  for (let i = 0; i < loops; i++) {
    await server.send({ to: inbox.address, subject: `before ${i}` });
    // Armed right after the 250, without any other call in between.
    const next = inbox.nextMessage({ subject: /^(before|after) / }, { timeout: 5_000 });
    await server.send({ to: inbox.address, subject: `after ${i}` });
    const message: Message = await next;
    if (message.subject !== `after ${i}`) wrong.push(`loop ${i}: got "${message.subject}"`);
  }
  return wrong;
}

async function armThenSend(server: TestServer, loops: number): Promise<string[]> {
  const inbox = await server.mail.createInbox();
  const wrong: string[] = [];
  for (let i = 0; i < loops; i++) {
    const next = inbox.nextMessage({}, { timeout: 5_000 });
    // No await between arming and sending: the message may reach the server before the wait does.
    const sent = server.send({ to: inbox.address, subject: `new ${i}` });
    const message = await next;
    await sent;
    if (message.subject !== `new ${i}`) wrong.push(`loop ${i}: got "${message.subject}"`);
  }
  return wrong;
}

describe("nextMessage() on the same clock", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({}, { pool: true });
  });
  afterAll(() => server.close());

  it(
    `send, then arm: never returns the message sent before the call (${LOOPS} loops)`,
    async () => {
      expect(await sendThenArm(server, LOOPS)).toEqual([]);
    },
    LOOP_TIMEOUT_MS,
  );

  it(
    `arm, then send without await: always returns the new message (${LOOPS} loops)`,
    async () => {
      expect(await armThenSend(server, LOOPS)).toEqual([]);
    },
    LOOP_TIMEOUT_MS,
  );
});

describe.each([
  ["an hour ahead", 3_600_000],
  ["an hour behind", -3_600_000],
])("nextMessage() against a server clock %s", (_label, skew) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(
      {},
      { pool: true, clock: () => performance.timeOrigin + performance.now() + skew },
    );
  });
  afterAll(() => server.close());

  it(
    "measures the offset, so both orders stay exact",
    async () => {
      expect(await sendThenArm(server, SKEWED_LOOPS)).toEqual([]);
      expect(await armThenSend(server, SKEWED_LOOPS)).toEqual([]);
      const received = (await server.mail.createInbox()).address;
      await server.send({ to: received, subject: "stamped" });
      const [message] = await (await server.mail.inbox(received, { since: 0 })).messages();
      // The server stamps with its own (skewed) clock; the SDK never compares the two directly.
      expect(Math.abs(message!.toJSON().receivedTime - (Date.now() + skew))).toBeLessThan(60_000);
    },
    LOOP_TIMEOUT_MS,
  );
});
