import { describe, expect, it } from "vitest";
import { ApiHarness, inboxPath } from "../../test-support/api-harness.js";
import { useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();
type ErrorBody = { error: { code: string; message: string } };

const ELSEWHERE = "http://127.0.0.1:1";

/** Every state-changing route, as a page would forge it: no body, so no CORS preflight. */
function writeRoutes(id: string): [method: string, path: string][] {
  const address = "ann@example.test";
  return [
    ["POST", "/api/inboxes"],
    ["POST", inboxPath(address, "/read")],
    ["DELETE", inboxPath(address, "/messages")],
    ["DELETE", inboxPath(address)],
    ["PATCH", `/api/messages/${id}`],
    ["DELETE", `/api/messages/${id}`],
    ["DELETE", "/api/messages"],
    ["POST", "/api/faults"],
    ["DELETE", "/api/faults"],
    ["DELETE", "/api/faults/log"],
    ["POST", inboxPath(address, "/faults")],
  ];
}

/** What a forged request could change: the messages, their read state, the inboxes. */
async function snapshot(api: ApiHarness): Promise<unknown> {
  const messages = await api.json<{ messages: { id: string; read: boolean }[] }>("/api/messages");
  const inboxes = await api.json<{ inboxes: { address: string; unreadCount: number }[] }>("/api/inboxes");
  return {
    messages: messages.body.messages.map(({ id, read }) => ({ id, read })),
    inboxes: inboxes.body.inboxes.map(({ address, unreadCount }) => ({ address, unreadCount })),
  };
}

describe("cross-origin writes (CSRF)", () => {
  it("refuses every state-changing route from another origin with 403 naming it, and changes nothing", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({ to: "ann@example.test", subject: "unread" });
    const before = await snapshot(api);
    for (const [method, path] of writeRoutes(id)) {
      const response = await api.json<ErrorBody>(path, { method, headers: { origin: ELSEWHERE } });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
      expect(response.body.error.code).toBe("forbidden");
      expect(response.body.error.message).toContain(`Origin "${ELSEWHERE}"`);
    }
    expect(await snapshot(api)).toEqual(before);
  });

  it("refuses a browser request marked cross-site or same-site that carries no Origin", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "unread" });
    const before = await snapshot(api);
    for (const site of ["cross-site", "same-site"]) {
      const response = await api.json<ErrorBody>(inboxPath("ann@example.test", "/read"), {
        method: "POST",
        headers: { "sec-fetch-site": site },
      });
      expect({ site, status: response.status }).toEqual({ site, status: 403 });
      expect(response.body.error.message).toContain(`Sec-Fetch-Site: ${site}`);
    }
    const refused = await api.json<ErrorBody>("/api/inboxes", {
      method: "POST",
      headers: { origin: "null" },
    });
    expect(refused.status).toBe(403);
    expect(await snapshot(api)).toEqual(before);
  });

  it("refuses before anything else runs: any path, any method, token or not", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      for (const path of ["/api/not-a-route", "/api/messages", "/somewhere"]) {
        const response = await api.fetch(path, { method, headers: { origin: ELSEWHERE } });
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 403 });
        await response.arrayBuffer();
      }
    }
    // A forged JSON body is not parsed either: the refusal is the same 403, not a 400.
    const withBody = await api.fetch("/api/inboxes", {
      method: "POST",
      headers: { origin: ELSEWHERE, "content-type": "application/json" },
      body: "{not json",
    });
    expect(withBody.status).toBe(403);
  });

  it("lets through the viewer's own origin, configured origins, and clients that send neither header", async () => {
    const api = await ApiHarness.start(cleanup, { corsOrigins: ["http://app.example:3000"] });
    const own = new URL(api.url).origin;
    for (const headers of [
      {},
      { origin: own },
      { origin: own, "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none" },
      { origin: "http://app.example:3000", "sec-fetch-site": "cross-site" },
    ]) {
      const created = await api.json<{ address: string }>("/api/inboxes", { method: "POST", headers });
      expect({ headers, status: created.status }).toEqual({ headers, status: 201 });
      const deleted = await api.fetch(inboxPath(created.body.address), { method: "DELETE", headers });
      expect({ headers, status: deleted.status }).toEqual({ headers, status: 204 });
    }
  });
});

describe("cross-origin reads (timing leaks)", () => {
  it("refuses searches and waits from a page elsewhere at once: their timing would tell what mail says", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: "ann@example.test", subject: "code", text: "Your code is 583920" });
    const reads = [
      "/api/wait?text=583920&timeout=5000",
      "/api/wait?text=999999&timeout=5000",
      `${inboxPath("ann@example.test", "/wait")}?subject=code&timeout=5000`,
      "/api/messages?text=5839",
      "/api/inboxes",
      "/api/v1/search?query=583920",
    ];
    for (const headers of [
      { origin: ELSEWHERE },
      { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document" },
      { "sec-fetch-site": "same-site", "sec-fetch-mode": "no-cors" },
    ]) {
      for (const path of reads) {
        const started = performance.now();
        const response = await api.json<ErrorBody>(path, { headers });
        expect({ path, headers, status: response.status }).toEqual({ path, headers, status: 403 });
        expect(response.body.error.message).toMatch(/may not read anything here/);
        // Refused before the wait is armed: no answer that takes longer for no match.
        expect(performance.now() - started).toBeLessThan(2_000);
      }
    }
  });

  it("answers the viewer's own origin, configured origins and clients that send no browser headers", async () => {
    const api = await ApiHarness.start(cleanup, { corsOrigins: ["http://app.example:3000"] });
    const own = new URL(api.url).origin;
    for (const headers of [
      {},
      { "sec-fetch-site": "same-origin" },
      { "sec-fetch-site": "none", "sec-fetch-mode": "navigate" },
      { origin: own, "sec-fetch-site": "same-origin" },
      { origin: "http://app.example:3000", "sec-fetch-site": "cross-site" },
    ]) {
      const response = await api.json("/api/messages?text=anything", { headers });
      expect({ headers, status: response.status }).toEqual({ headers, status: 200 });
    }
  });

  it("still opens links from anywhere (raw, attachments, the peers' HTML views), but such a visit marks nothing read", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({ to: "ann@example.test", subject: "linked", html: "<p>hello</p>" });
    const navigation = {
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
      "sec-fetch-dest": "document",
    };
    for (const path of [
      `/api/messages/${id}/raw`,
      `/api/messages/${id}/html`,
      "/view/latest.html",
      "/view/latest.txt",
    ]) {
      const response = await api.fetch(path, { headers: navigation });
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      await response.arrayBuffer();
    }
    const listed = await api.json<{ messages: { id: string; read: boolean }[] }>("/api/messages");
    expect(listed.body.messages).toEqual([expect.objectContaining({ id, read: false })]);
    // Opened from the server's own pages, the view marks it read as Mailpit does.
    await (
      await api.fetch("/view/latest.html", { headers: { "sec-fetch-site": "same-origin" } })
    ).arrayBuffer();
    const after = await api.json<{ messages: { id: string; read: boolean }[] }>("/api/messages");
    expect(after.body.messages).toEqual([expect.objectContaining({ id, read: true })]);
  });
});
