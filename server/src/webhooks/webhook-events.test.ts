import type { MessageSummary } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../test-support/seeded-random.js";
import { bodyBytesAtMost, linksBytes, messageDeleted, messageReceived, withLinks } from "./webhook-events.js";

const PIECES = ["a", "\u0000", '"', "é", "€", "\ud83d", "😀", " ", "<", "%"];

function text(random: () => number, longest: number): string {
  return Array.from(
    { length: Math.floor(random() * longest) },
    () => PIECES[Math.floor(random() * PIECES.length)],
  ).join("");
}

function summary(random: () => number): MessageSummary {
  const address = () => ({ name: text(random, 20), address: `${text(random, 10)}@example.test` });
  return {
    id: "01jabcdefghjkmnpqrstvwxyz0",
    sequence: Math.floor(random() * 1e9),
    inboxes: ["hook@example.test"],
    mailFrom: text(random, 30),
    rcptTo: ["hook@example.test"],
    messageId: random() < 0.5 ? null : text(random, 40),
    subject: text(random, 300),
    from: [address()],
    to: Array.from({ length: Math.floor(random() * 4) }, address),
    cc: [],
    date: null,
    receivedAt: new Date(Math.floor(random() * 4e12)).toISOString(),
    receivedTime: random() * 4e12,
    duplicateOf: null,
    size: Math.floor(random() * 1e7),
    sha256: "0".repeat(64),
    attachmentCount: 0,
    authUser: null,
    tls: random() < 0.5,
    read: false,
    snippet: text(random, 200),
    parseError: null,
  };
}

describe("bodyBytesAtMost", () => {
  it("is never below the body POSTed, for generated summaries and unusual base URLs", () => {
    const random = seededRandom(151);
    const bases = [
      "http://127.0.0.1:8025/",
      "http://[::1]:1/",
      "https://exämple.test/sub path/",
      "http://h/%7e/",
      `http://${"é".repeat(60)}.test/`,
    ];
    for (let round = 0; round < 1_000; round++) {
      const base = bases[round % bases.length]!;
      const event = messageReceived(summary(random), new Date().toISOString());
      const exact = Buffer.byteLength(JSON.stringify(withLinks(event, base)));
      expect(bodyBytesAtMost(event, base)).toBeGreaterThanOrEqual(exact);
    }
    const deleted = messageDeleted(
      "01jabcdefghjkmnpqrstvwxyz0",
      ["é@example.test"],
      new Date().toISOString(),
    );
    expect(bodyBytesAtMost(deleted, bases[0]!)).toBeGreaterThanOrEqual(
      Buffer.byteLength(JSON.stringify(deleted)),
    );
  });

  it("counts the links' bytes exactly, whatever the base URL", () => {
    const event = messageReceived(summary(seededRandom(3)), new Date().toISOString());
    for (const base of [
      "http://127.0.0.1:8025/",
      "https://xn--exmple-cua.test/sub/",
      `http://${"é".repeat(60)}.test/`,
    ]) {
      const added =
        Buffer.byteLength(JSON.stringify(withLinks(event, base))) - Buffer.byteLength(JSON.stringify(event));
      expect(linksBytes(base)).toBe(added);
    }
  });

  it("keeps an ordinary summary far below the 256 KB limit, so the exact size is never built for it", () => {
    const event = messageReceived(summary(seededRandom(7)), new Date().toISOString());
    expect(bodyBytesAtMost(event, "http://127.0.0.1:8025/")).toBeLessThan(64 * 1024);
  });
});
