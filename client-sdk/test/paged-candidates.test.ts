import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import type { Message } from "../src/index.js";
import { startTestServer, type TestServer } from "./support/test-server.js";

/**
 * A filter part that runs only in the SDK (`where`, a pattern RE2 refuses) reads the server's
 * candidates in pages (the wait's `limit`), not one request per candidate, and stays exact: the
 * oldest match is returned, a message that arrives while the wait pages is found once.
 */
const BACKLOG = 2000;
/** Sending thousands of messages through one SMTP pool takes seconds on a loaded machine. */
const BACKLOG_TIMEOUT_MS = 180_000;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { pool: true });
});
afterAll(() => server.close());

async function sendBacklog(to: string, count: number): Promise<void> {
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) sends.push(server.send({ to, subject: `Newsletter ${i}` }));
  await Promise.all(sends);
}

/** Counts the SDK's HTTP requests (it calls the global `fetch`) and keeps their URLs. */
function countRequests(): { urls(): URL[]; restore(): void } {
  const spy: MockInstance<typeof fetch> = vi.spyOn(globalThis, "fetch");
  let urls: URL[] = [];
  return {
    urls: () => urls,
    restore: () => {
      // Read before restoring: mockRestore forgets the calls.
      urls = spy.mock.calls.map(([input]) => new URL(input instanceof Request ? input.url : String(input)));
      spy.mockRestore();
    },
  };
}

describe("a wait behind a backlog its client-side part rejects", () => {
  let address: string;
  beforeAll(async () => {
    const inbox = await server.mail.createInbox();
    address = inbox.address;
    await sendBacklog(address, BACKLOG);
    await server.send({ to: address, subject: "Your code is 482913" });
    await server.send({ to: address, subject: "zz top 7" });
  }, BACKLOG_TIMEOUT_MS);

  it("a where wait behind 2,000 candidates that where rejects resolves in a handful of requests", async () => {
    const inbox = await server.mail.inbox(address, { since: 0 });
    const looked: string[] = [];
    const requests = countRequests();
    let message: Message;
    try {
      message = await inbox.waitForMessage({
        where: (candidate) => {
          looked.push(candidate.id);
          return candidate.subject.startsWith("Your code");
        },
      });
    } finally {
      requests.restore();
    }
    expect(message.subject).toBe("Your code is 482913");
    // Every candidate up to the match was looked at once, in order, and none after it.
    expect(looked).toHaveLength(BACKLOG + 1);
    expect(new Set(looked).size).toBe(looked.length);
    expect(looked.at(-1)).toBe(message.id);
    // Pages of 50, 100, 200, 400, then 500: seven requests for 2,001 candidates (one each before).
    const urls = requests.urls();
    expect(urls.length).toBeLessThanOrEqual(8);
    expect(urls.every((url) => url.pathname.endsWith("/wait"))).toBe(true);
    expect(urls.map((url) => url.searchParams.get("limit"))).toEqual([
      "50",
      "100",
      "200",
      "400",
      "500",
      "500",
      "500",
    ]);
  });

  it("a pattern RE2 refuses (a backreference) takes the same paged path", async () => {
    const inbox = await server.mail.inbox(address, { since: 0 });
    const requests = countRequests();
    let message: Message;
    try {
      message = await inbox.waitForMessage({ subject: /^(\w)\1 top/ });
    } finally {
      requests.restore();
    }
    expect(message.subject).toBe("zz top 7");
    const urls = requests.urls();
    // The first request is refused (400 unsupported_pattern); the rest page through 2,002 candidates.
    expect(urls[0]?.searchParams.get("match")).toContain("\\\\1");
    expect(urls.slice(1).every((url) => url.searchParams.get("match") === null)).toBe(true);
    expect(urls.length).toBeLessThanOrEqual(9);
  });

  it("expectNoMessage with a where that rejects the whole backlog pages too", async () => {
    const inbox = await server.mail.inbox(address, { since: 0 });
    const requests = countRequests();
    try {
      await inbox.expectNoMessage({ where: (candidate) => candidate.subject === "never" }, { within: 300 });
    } finally {
      requests.restore();
    }
    // Seven pages read the 2,002 messages; the rest of the window is one or two long-polls.
    expect(requests.urls().length).toBeLessThanOrEqual(10);
  });

  // Last in this group: it adds a message to the shared backlog.
  it("nextMessage with where still means after the call: the backlog's match is not returned", async () => {
    const inbox = await server.mail.inbox(address, { since: 0 });
    const next = inbox.nextMessage({ where: (candidate) => candidate.subject.startsWith("Your code") });
    await server.send({ to: address, subject: "Your code is 111111" });
    expect((await next).subject).toBe("Your code is 111111");
  });
});

describe("a message that arrives while a wait pages through the backlog", () => {
  // One in the middle of the paging, and one between the last page and the long-poll that follows.
  it.each([
    ["in the middle of the paging", 120],
    ["after the last page, before the long-poll", 600],
  ])(
    "is found exactly once when it arrives %s",
    async (_when, sendAt) => {
      const inbox = await server.mail.createInbox();
      await sendBacklog(inbox.address, 600);
      const looked: string[] = [];
      let sent: Promise<void> | null = null;
      const wanted = {
        where: async (candidate: Message) => {
          looked.push(candidate.id);
          if (looked.length === sendAt) {
            // The wait is between two requests (it is evaluating a page): the 250 comes before the next one.
            sent = server.send({ to: inbox.address, subject: "Raced in" });
            await sent;
          }
          return candidate.subject === "Raced in";
        },
      };
      const message = await inbox.waitForMessage(wanted);
      expect(sent).not.toBeNull();
      expect(message.subject).toBe("Raced in");
      expect(looked).toHaveLength(601);
      expect(new Set(looked).size).toBe(601);
      // Not returned twice to the same handle, and nothing else matches.
      await inbox.expectNoMessage(wanted, { within: 200 });
      expect((await inbox.messages({ subject: "Raced in" })).length).toBe(1);
    },
    BACKLOG_TIMEOUT_MS,
  );

  it(
    "comes after the older matches: sequential where waits on one handle return them in order, each once",
    async () => {
      const inbox = await server.mail.createInbox();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        sends.push(server.send({ to: inbox.address, subject: i % 100 === 99 ? `Match ${i}` : `Other ${i}` }));
      }
      await Promise.all(sends);
      const isMatch = { where: (candidate: Message) => candidate.subject.startsWith("Match") };
      const order = (await inbox.messages(isMatch)).map((message) => message.subject);
      expect(order).toHaveLength(3);
      const requests = countRequests();
      const got: string[] = [];
      try {
        for (let i = 0; i < 3; i++) got.push((await inbox.waitForMessage(isMatch)).subject);
      } finally {
        requests.restore();
      }
      expect(got).toEqual(order);
      await inbox.expectNoMessage(isMatch, { within: 100 });
      expect(requests.urls().length).toBeLessThanOrEqual(10);
    },
    BACKLOG_TIMEOUT_MS,
  );
});
