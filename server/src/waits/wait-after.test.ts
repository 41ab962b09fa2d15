import { describe, expect, it } from "vitest";
import { ApiHarness, inboxPath } from "../test-support/api-harness.js";
import { useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

describe("waits and lists on the server's clock and with a match filter", () => {
  it("serves its clock, and `after` keeps only messages received later", async () => {
    const api = await ApiHarness.start(cleanup);
    const before = await api.json("/api/clock");
    expect(before.status).toBe(200);
    const { now } = before.body as { now: number };
    expect(Math.abs(now - (performance.timeOrigin + performance.now()))).toBeLessThan(60_000);

    await api.send({ to: "clock@example.test", subject: "first" });
    const boundary = ((await api.json("/api/clock")).body as { now: number }).now;
    await api.send({ to: "clock@example.test", subject: "second" });

    const listed = await api.json(`${inboxPath("clock@example.test", "/messages")}?after=${boundary}`);
    const messages = (listed.body as { messages: { subject: string; receivedTime: number }[] }).messages;
    expect(messages.map((m) => m.subject)).toEqual(["second"]);
    expect(messages[0]!.receivedTime).toBeGreaterThan(boundary);

    const waited = await api.json(
      `${inboxPath("clock@example.test", "/wait")}?after=${boundary}&timeout=1000`,
    );
    expect((waited.body as { messages: { subject: string }[] }).messages.map((m) => m.subject)).toEqual([
      "second",
    ]);
  });

  it("evaluates a regular expression on the server, so a wait skips the messages that do not match in one answer", async () => {
    const api = await ApiHarness.start(cleanup);
    const to = "busy@example.test";
    for (let i = 0; i < 200; i++) await api.send({ to, subject: `Newsletter ${i}` });
    await api.send({ to, subject: "Your code 482913" });
    const match = encodeURIComponent(JSON.stringify({ subject: { regex: "code \\d{6}$" } }));
    const waited = await api.json(`${inboxPath(to, "/wait")}?since=0&match=${match}&timeout=1000`);
    expect(waited.status).toBe(200);
    expect((waited.body as { messages: { subject: string }[] }).messages.map((m) => m.subject)).toEqual([
      "Your code 482913",
    ]);
  });

  it("matches headers, attachments and the visible text through `match`", async () => {
    const api = await ApiHarness.start(cleanup);
    const to = "parts@example.test";
    await api.send({ to, subject: "plain", text: "nothing here" });
    await api.send({
      to,
      subject: "invoice",
      html: "<p>Caf&eacute; total</p>",
      headers: { "X-Campaign": "spring" },
      attachments: [{ filename: "invoice.pdf", content: "x", contentType: "application/pdf" }],
    });
    const list = async (filter: object) => {
      const match = encodeURIComponent(JSON.stringify(filter));
      const answer = await api.json(`${inboxPath(to, "/messages")}?match=${match}`);
      return (answer.body as { messages: { subject: string }[] }).messages.map((m) => m.subject);
    };
    expect(await list({ header: [{ name: "x-campaign", value: { exact: "spring" } }] })).toEqual(["invoice"]);
    expect(await list({ attachment: { filename: { regex: "\\.pdf$" } } })).toEqual(["invoice"]);
    expect(await list({ text: { contains: "café" } })).toEqual(["invoice"]);
    expect(await list({ html: { contains: "eacute" } })).toEqual(["invoice"]);
    expect(await list({ subject: { exact: "Plain" } })).toEqual([]);
  });

  it("answers 400 naming the part for a malformed filter, and unsupported_pattern for lookaround", async () => {
    const api = await ApiHarness.start(cleanup);
    const ask = (filter: unknown) =>
      api.json(
        `/api/messages?match=${encodeURIComponent(typeof filter === "string" ? filter : JSON.stringify(filter))}`,
      );
    const malformed = await ask({ header: [{ name: "" }] });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({
      error: { code: "invalid_parameter", parameter: "match.header[0].name" },
    });
    expect((await ask("{not json")).body).toMatchObject({ error: { parameter: "match" } });
    const lookaround = await ask({ subject: { regex: "(?=Welcome)W" } });
    expect(lookaround.status).toBe(400);
    expect(lookaround.body).toMatchObject({
      error: { code: "unsupported_pattern", parameter: "match.subject" },
    });
    const badAfter = await api.json("/api/messages?after=yesterday");
    expect(badAfter.body).toMatchObject({ error: { code: "invalid_parameter", parameter: "after" } });
  });
});
