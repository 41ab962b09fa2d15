/**
 * Issue #11, "a wait rides out a redeploy": the server stops (a graceful close, or kill -9) and
 * comes back on the same ports with the same data directory while waits and calls are in flight.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { apiPaths } from "@mailnest/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BrokenResponseError,
  isBrokenResponseError,
  isConnectionError,
  isServerUnavailableError,
  Mailnest,
  type ServerUnavailableError,
} from "../src/index.js";
import { storedMessage } from "../src/test-support/stored-message.js";
import { rejection } from "./support/rejection.js";
import { type RestartableServer, startCli, startInProcess } from "./support/restartable-server.js";

const CLOCK = String.raw`\d\d:\d\d:\d\d\.\d{3}Z`;

describe("a server that closes and starts again (SIGTERM-like)", () => {
  let server: RestartableServer;
  let mail: Mailnest;

  beforeAll(async () => {
    server = await startInProcess();
    mail = server.client();
  });

  afterAll(async () => {
    await server?.close();
  });

  it("a wait armed before the restart resolves with a message sent after it, skipping and repeating nothing", async () => {
    const inbox = await mail.createInbox();
    await server.send({ to: inbox.address, subject: "One" });
    const both = inbox.waitForMessages(2, { subject: /^(One|Two|Three)$/ }, { timeout: 15_000 });
    await server.waiters(1); // it holds "One" and waits for the second
    await server.stop();
    await sleep(300); // the wait meets 503 shutting_down, then refused connections
    await server.start();
    await server.send({ to: inbox.address, subject: "Two" });
    const [one, two] = await both;
    expect([one?.subject, two?.subject]).toEqual(["One", "Two"]);

    await server.send({ to: inbox.address, subject: "Three" });
    expect((await inbox.waitForMessage(undefined, { timeout: 5_000 })).subject).toBe("Three");
  });

  it("a wait whose deadline passes during the outage rejects and says why", async () => {
    const inbox = await mail.createInbox();
    const started = Date.now();
    const waiting = rejection(inbox.waitForMessage({ subject: "Never" }, { timeout: 1_500 }));
    await server.waiters(1);
    await server.stop();
    const error = await waiting;
    await server.start();

    expect(Date.now() - started).toBeLessThan(4_000);
    expect(isServerUnavailableError(error)).toBe(true);
    expect(isConnectionError(error)).toBe(true);
    expect(error.message).toMatch(
      new RegExp(
        `^Gave up after 1500 ms waiting for 1 message to "${inbox.address}" with subject "Never": ` +
          `the server said it was shutting down at ${CLOCK}, and it has been unreachable since ${CLOCK} ` +
          String.raw`\(\d+ attempts\); last error: connect ECONNREFUSED 127\.0\.0\.1:\d+$`,
      ),
    );
    const unavailable = error as ServerUnavailableError;
    expect(unavailable.code).toBe("ECONNREFUSED");
    expect(unavailable.shuttingDownAt).toBeInstanceOf(Date);
    expect(unavailable.unreachableSince!.getTime()).toBeGreaterThanOrEqual(
      unavailable.shuttingDownAt!.getTime(),
    );
    expect(unavailable.url).toBe(`${server.url}${apiPaths.inboxWait(inbox.address)}`);
  });

  it("calls made while the server is down complete once it is back; a POST too, as its connection was refused", async () => {
    const inbox = await mail.createInbox();
    await server.send({ to: inbox.address, subject: "Kept" });
    const message = await inbox.waitForMessage();
    const raw = await message.raw();
    await server.stop();

    const during = Promise.all([
      mail.head(),
      inbox.messages(),
      message.raw(),
      mail.message(message.id),
      mail.createInbox({ prefix: "after" }),
    ]);
    await sleep(400);
    await server.start();
    const [head, listed, rawAgain, fetched, created] = await during;

    expect(head).toBeGreaterThanOrEqual(message.sequence);
    expect(listed.map((entry) => entry.id)).toEqual([message.id]);
    expect(Buffer.from(rawAgain).equals(raw)).toBe(true);
    expect(fetched.subject).toBe("Kept");
    expect(created.address).toMatch(/^after-/);
  });

  it("a call that gives up during the outage says why", async () => {
    const client = server.client({ requestTimeout: 600 });
    await client.head();
    await server.stop();
    try {
      const error = await rejection(client.head());
      expect(isServerUnavailableError(error)).toBe(true);
      expect(error.message).toMatch(
        new RegExp(
          `^GET ${server.url}/api/health gave up after 600 ms: it has been unreachable since ${CLOCK} ` +
            String.raw`\(\d+ attempts\); last error: connect ECONNREFUSED`,
        ),
      );
    } finally {
      await server.start();
    }
  });

  it("a client that has never reached the server fails at once on a refused connection", async () => {
    await server.stop();
    try {
      const started = Date.now();
      const error = await rejection(new Mailnest({ url: server.url }).head());
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(isConnectionError(error)).toBe(true);
      expect(isServerUnavailableError(error)).toBe(false);
      expect(error.message).toContain("Is the server running?");
    } finally {
      await server.start();
    }
  });
});

describe("a server killed with SIGKILL (the real CLI)", () => {
  let server: RestartableServer;

  beforeAll(async () => {
    server = await startCli();
  }, 30_000);

  afterAll(async () => {
    await server?.close();
  });

  it("a wait armed before kill -9 resolves with a message sent after the restart", async () => {
    const mail = server.client();
    const inbox = await mail.createInbox();
    const waiting = inbox.waitForMessage({ subject: "After the crash" }, { timeout: 20_000 });
    await server.waiters(1);
    await server.stop("SIGKILL");
    await server.start();
    await server.send({ to: inbox.address, subject: "After the crash" });
    expect((await waiting).subject).toBe("After the crash");
  }, 30_000);
});

describe("an answer whose body breaks off", () => {
  let fake: Server;
  let url: string;
  const data = storedMessage();
  const full = Buffer.from("From: a@app.test\r\nSubject: Whole\r\n\r\nThe whole message.\r\n");
  /** How many answers of each kind break before a whole one. */
  let rawBreaks = 0;
  let createBreaks = 0;
  let rawRequests = 0;

  /** Headers and a few bytes of the promised body, then the connection drops. */
  const breakOff = (socket: import("node:net").Socket | null, head: string) => {
    socket?.write(head);
    setTimeout(() => socket?.destroy(), 5);
  };

  beforeAll(async () => {
    fake = createServer((request, response) => {
      const path = request.url ?? "";
      if (path === apiPaths.message(data.id)) {
        response.setHeader("content-type", "application/json").end(JSON.stringify(data));
      } else if (path === apiPaths.messageRaw(data.id)) {
        rawRequests++;
        if (rawBreaks-- > 0) {
          breakOff(
            response.socket,
            `HTTP/1.1 200 OK\r\nContent-Type: message/rfc822\r\nContent-Length: ${full.length}\r\n\r\nFrom: a@`,
          );
        } else {
          response.setHeader("content-type", "message/rfc822").end(full);
        }
      } else if (path === apiPaths.inboxes() && createBreaks-- > 0) {
        breakOff(
          response.socket,
          'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{"address":',
        );
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
  });

  it("message.raw() asks again when the body breaks, and resolves with the whole message", async () => {
    const message = await new Mailnest({ url }).message(data.id);
    rawBreaks = 2;
    rawRequests = 0;
    expect(Buffer.from(await message.raw()).equals(full)).toBe(true);
    expect(rawRequests).toBe(3);
  });

  it("message.raw() ends in a typed error, not a bare TypeError: terminated, when the body keeps breaking", async () => {
    const message = await new Mailnest({ url, requestTimeout: 500 }).message(data.id);
    rawBreaks = Number.POSITIVE_INFINITY;
    const error = await rejection(message.raw());
    rawBreaks = 0;
    expect(error).not.toBeInstanceOf(TypeError);
    expect(isServerUnavailableError(error)).toBe(true);
    expect(error.message).toMatch(
      new RegExp(
        `^GET ${url}/api/messages/${data.id}/raw gave up after 500 ms: it has been unreachable since`,
      ),
    );
    expect(isBrokenResponseError(error.cause)).toBe(true);
    expect((error.cause as BrokenResponseError).message).toBe(
      `GET ${url}/api/messages/${data.id}/raw → 200, but the connection broke while the answer was read (UND_ERR_SOCKET)`,
    );
  });

  it("a POST whose answer breaks is not sent again, and says the server answered", async () => {
    createBreaks = 1;
    const error = await rejection(new Mailnest({ url }).createInbox());
    expect(isBrokenResponseError(error)).toBe(true);
    expect(isConnectionError(error)).toBe(true);
    expect(error.message).toBe(
      `POST ${url}/api/inboxes → 201, but the connection broke while the answer was read (UND_ERR_SOCKET)`,
    );
  });
});
