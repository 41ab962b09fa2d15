import { describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { ApiHarness } from "../../test-support/api-harness.js";
import { EventClient, refusedStatus, wsUrl } from "../../test-support/event-client.js";
import { useCleanup } from "../../test-support/test-sandbox.js";
import { requestPath } from "./event-upgrades.js";

const cleanup = useCleanup();
const connect = (url: string, options?: WebSocket.ClientOptions) =>
  EventClient.connect(cleanup, url, options);

describe("WebSocket /api/events: who may connect", () => {
  it("refuses a foreign Origin with 403 and admits its own origin and configured CORS origins", async () => {
    const api = await ApiHarness.start(cleanup, { corsOrigins: ["http://viewer.localhost:5173"] });
    expect(await refusedStatus(wsUrl(api), { origin: "https://evil.example" })).toBe(403);
    expect(await refusedStatus(wsUrl(api), { origin: "null" })).toBe(403);
    // Same host name, other port: another origin.
    expect(await refusedStatus(wsUrl(api), { origin: "http://127.0.0.1:1" })).toBe(403);

    for (const origin of [api.url, "http://viewer.localhost:5173"]) {
      const client = await connect(wsUrl(api), { origin });
      expect((await client.next()).type).toBe("hello");
    }
  });

  it("refuses a Host a loopback server should never see (DNS rebinding)", async () => {
    const api = await ApiHarness.start(cleanup);
    const rebound = "rebind.attacker.example";
    // No Origin at all (a non-browser client would pass), so only the Host check can refuse it.
    expect(await refusedStatus(wsUrl(api), { headers: { host: rebound } })).toBe(403);
    const local = await connect(wsUrl(api), { headers: { host: `localhost:${api.http.port}` } });
    expect((await local.next()).type).toBe("hello");
  });

  it("requires the token when one is set, by header or ?token=", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    expect(await refusedStatus(wsUrl(api))).toBe(401);
    expect(await refusedStatus(wsUrl(api, "/api/events?token=wrong"))).toBe(401);

    const byQuery = await connect(wsUrl(api, "/api/events?token=s3cret"));
    expect((await byQuery.next()).type).toBe("hello");
    const byHeader = await connect(wsUrl(api), { headers: { authorization: "Bearer s3cret" } });
    expect((await byHeader.next()).type).toBe("hello");
  });

  it("matches the decoded, normalised path only", async () => {
    const api = await ApiHarness.start(cleanup);
    const encoded = await connect(wsUrl(api, "/api/%65vents"));
    expect((await encoded.next()).type).toBe("hello");
    for (const path of ["/api/eventsx", "/API/events", "/api/events/more", "/api"]) {
      expect(await refusedStatus(wsUrl(api, path))).toBe(404);
    }
  });
});

describe("requestPath", () => {
  it("decodes percent-escapes, removes dot segments and trailing slashes", () => {
    expect(requestPath("/api/events?token=x")).toBe("/api/events");
    expect(requestPath("/api/%65vents/")).toBe("/api/events");
    expect(requestPath("/x/../api/events")).toBe("/api/events");
    expect(requestPath("/x/%2e%2e/api/events")).toBe("/api/events");
    expect(requestPath("/api/%2e%2e%2fapi/events")).toBe("/api/events");
    expect(requestPath("/api/%E0%A4%A")).toBeNull();
  });
});
