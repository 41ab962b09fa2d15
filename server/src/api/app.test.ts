import { mkdir, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../metrics/create-metrics.js";
import { ApiHarness, inboxPath } from "../test-support/api-harness.js";
import { tempDir, useCleanup } from "../test-support/test-sandbox.js";
import { VIEWER_CSP } from "./http/security-headers.js";

const cleanup = useCleanup();
type ErrorBody = { error: { code: string; message: string; parameter?: string } };

/** A raw request, for headers `fetch` will not let a test set (Host). */
function rawRequest(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

describe("service routes", () => {
  it("/livez and /readyz answer probes without the token and say nothing else; /readyz is 503 once closing", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    for (const path of ["/livez", "/readyz"]) {
      const response = await fetch(`${api.url}${path}`);
      expect({ path, status: response.status, body: await response.text() }).toEqual({
        path,
        status: 200,
        body: "ok",
      });
    }
    expect((await fetch(`${api.url}/api/health`)).status).toBe(401);
    api.http.waits.close();
    const closing = await fetch(`${api.url}/readyz`);
    expect({ status: closing.status, body: await closing.text() }).toEqual({ status: 503, body: "closing" });
    expect((await fetch(`${api.url}/livez`)).status).toBe(200);
  });

  it("reports health: status, version, head, counts, readiness, the SMTP port and the store", async () => {
    const api = await ApiHarness.start(cleanup);
    await api.send({ to: ["ann@example.test", "bob@example.test"], subject: "one" });
    await api.send({ to: "ann@example.test", subject: "two" });
    const { status, body } = await api.json("/api/health");
    expect(status).toBe(200);
    expect(body).toEqual({
      status: "ok",
      ready: true,
      version: "0.1.0",
      head: 2,
      messages: 2,
      unread: 2,
      inboxes: 2,
      waiters: 0,
      smtp: { port: api.sandbox.smtpPort },
      smtps: { port: null },
      pop3: { port: null },
      pop3s: { port: null },
      imap: { port: null },
      imaps: { port: null },
      damaged: 0,
      store: { kind: "files", location: api.sandbox.config.dataDir, reachable: true },
    });
  });

  it("serves Prometheus metrics when the server has them, and 404 JSON when not", async () => {
    const without = await ApiHarness.start(cleanup);
    const missing = await without.json<ErrorBody>("/metrics");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");

    const served = await ApiHarness.start(
      cleanup,
      { apiToken: "t" },
      {
        metrics: (sandbox) => {
          const metrics = createMetrics(sandbox.bus);
          cleanup(() => metrics.close());
          return metrics;
        },
      },
    );
    await served.send({ to: "ann@example.test", subject: "counted" });
    const response = await served.fetch("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await response.text()).toMatch(/^mailnest_messages_received_total 1$/m);
    expect((await fetch(`${served.url}/metrics`)).status).toBe(401);
  });
});

describe("errors", () => {
  it("answers unknown routes and methods with 404 JSON, never an HTML page", async () => {
    const api = await ApiHarness.start(cleanup);
    for (const [method, route] of [
      ["GET", "/api/nope"],
      ["GET", "/api"],
      ["PUT", "/api/messages"],
      ["POST", "/api/messages/01aaaaaaaaaaaaaaaaaaaaaaaa"],
      ["GET", "/API/messages"],
      ["GET", "/"],
      ["GET", "/some/page"],
    ] as const) {
      const response = await api.fetch(route, { method });
      expect({ method, route, status: response.status }).toEqual({ method, route, status: 404 });
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(((await response.json()) as ErrorBody).error.code).toBe("not_found");
    }
  });

  it("answers a malformed percent-encoding in the path with 400 JSON, not a stack trace", async () => {
    const api = await ApiHarness.start(cleanup);
    const { status, body } = await api.json<ErrorBody>("/api/messages/%E0%A4%A");
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "invalid_parameter", parameter: "path" });
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js:\d+/);
  });

  it("puts the security headers on every response, errors included", async () => {
    const api = await ApiHarness.start(cleanup);
    for (const route of ["/api/health", "/api/nope", "/api/messages?limit=0"]) {
      const response = await api.fetch(route);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
      expect(response.headers.get("x-powered-by")).toBeNull();
      await response.arrayBuffer();
    }
    expect((await api.fetch("/api/messages")).headers.get("cache-control")).toBe("no-store");
  });
});

describe("access control", () => {
  it("requires the API token on every route when one is set, compared exactly", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    const id = await api.send({ to: "ann@example.test", subject: "one", html: "<p>hi</p>" });
    for (const route of [
      "/api/health",
      "/api/openapi.json",
      "/api/inboxes",
      "/api/messages",
      `/api/messages/${id}`,
    ]) {
      const anonymous = await fetch(`${api.url}${route}`);
      expect({ route, status: anonymous.status }).toEqual({ route, status: 401 });
      expect(anonymous.headers.get("www-authenticate")).toBe('Bearer realm="mailnest"');
      expect(((await anonymous.json()) as ErrorBody).error.code).toBe("unauthorized");
      for (const wrong of ["Bearer s3cre", "Bearer s3cret2", "Basic s3cret", "s3cret"]) {
        const response = await fetch(`${api.url}${route}`, { headers: { authorization: wrong } });
        expect({ route, wrong, status: response.status }).toEqual({ route, wrong, status: 401 });
      }
      expect((await api.fetch(route)).status).toBe(200);
    }
    const deleteAnonymously = await fetch(`${api.url}/api/messages`, { method: "DELETE" });
    expect(deleteAnonymously.status).toBe(401);
    expect((await api.json<{ messages: unknown[] }>("/api/messages")).body.messages).toHaveLength(1);
  });

  it("accepts ?token= only on the routes a browser opens directly", async () => {
    const api = await ApiHarness.start(cleanup, { apiToken: "s3cret" });
    const id = await api.send({
      to: "ann@example.test",
      subject: "one",
      text: "hi",
      html: "<p>hi</p>",
      attachments: [{ content: "x" }],
    });
    for (const route of ["raw", "html", "text", "attachments/a1"]) {
      expect((await fetch(`${api.url}/api/messages/${id}/${route}?token=s3cret`)).status).toBe(200);
      expect((await fetch(`${api.url}/api/messages/${id}/${route}?token=wrong`)).status).toBe(401);
    }
    for (const route of [
      `/api/messages/${id}`,
      "/api/messages",
      "/api/inboxes",
      inboxPath("ann@example.test", "/wait"),
    ]) {
      expect({ route, status: (await fetch(`${api.url}${route}?token=s3cret`)).status }).toEqual({
        route,
        status: 401,
      });
    }
  });

  it("refuses a Host header that is not a loopback name while listening on loopback", async () => {
    const api = await ApiHarness.start(cleanup);
    const rebound = await rawRequest(`${api.url}/api/messages`, {
      host: `attacker.example:${api.http.port}`,
    });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: "forbidden" } });
    for (const host of [
      `localhost:${api.http.port}`,
      `127.0.0.1:${api.http.port}`,
      `app.localhost:${api.http.port}`,
    ]) {
      expect((await rawRequest(`${api.url}/api/health`, { host })).status).toBe(200);
    }
  });

  it("sends no CORS headers by default, and allows configured origins with preflight", async () => {
    const closed = await ApiHarness.start(cleanup);
    const plain = await closed.fetch("/api/messages", { headers: { origin: "https://app.example" } });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
    const closedPreflight = await closed.fetch("/api/messages", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "DELETE" },
    });
    expect(closedPreflight.status).toBe(204);
    expect(closedPreflight.headers.get("access-control-allow-origin")).toBeNull();

    const open = await ApiHarness.start(cleanup, { corsOrigins: ["https://app.example"] });
    const allowed = await open.fetch("/api/messages", { headers: { origin: "https://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("vary")).toContain("Origin");
    const other = await open.fetch("/api/messages", { headers: { origin: "https://other.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await open.fetch("/api/messages", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "DELETE",
        "access-control-request-headers": "authorization",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-methods")).toContain("DELETE");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Authorization");
  });
});

describe("the web viewer", () => {
  async function viewerRoot(): Promise<string> {
    const root = await tempDir(cleanup, "mailnest-web-");
    await mkdir(path.join(root, "assets"));
    await writeFile(path.join(root, "index.html"), "<!doctype html><title>Mailnest</title>");
    await writeFile(path.join(root, "assets", "index-B4x9Qz1a.js"), "console.log('viewer')");
    await writeFile(path.join(root, "favicon.svg"), "<svg/>");
    return root;
  }

  it("serves the page without a token, hashed assets for a year, and index.html for client routes", async () => {
    const api = await ApiHarness.start(cleanup, { webRoot: await viewerRoot(), apiToken: "s3cret" });

    const page = await fetch(`${api.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-cache");
    expect(await page.text()).toContain("<title>Mailnest</title>");

    const asset = await fetch(`${api.url}/assets/index-B4x9Qz1a.js`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    await asset.arrayBuffer();
    const icon = await fetch(`${api.url}/favicon.svg`);
    expect(icon.headers.get("cache-control")).toBe("no-cache");
    await icon.arrayBuffer();

    const route = await fetch(`${api.url}/inbox/ann%40example.test`, { headers: { accept: "text/html" } });
    expect(route.status).toBe(200);
    expect(await route.text()).toContain("<title>Mailnest</title>");

    // The API stays guarded and JSON; a missing file is a 404, not the page.
    expect((await fetch(`${api.url}/api/messages`, { headers: { accept: "text/html" } })).status).toBe(401);
    for (const missing of ["/api/nope", "/assets/missing.js", "/metrics"]) {
      const response = await fetch(`${api.url}${missing}`, { headers: { accept: "text/html,*/*" } });
      expect(response.headers.get("content-type")).toContain("application/json");
      expect({ missing, status: response.status }).toEqual({
        missing,
        status: missing === "/metrics" ? 401 : 404,
      });
      await response.arrayBuffer();
    }
  });

  it("serves the page, client routes and assets under the viewer's CSP: no inline script, no eval", async () => {
    const api = await ApiHarness.start(cleanup, { webRoot: await viewerRoot() });
    for (const route of ["/", "/inbox/ann%40example.test", "/assets/index-B4x9Qz1a.js", "/favicon.svg"]) {
      const response = await fetch(`${api.url}${route}`, { headers: { accept: "text/html" } });
      expect({ route, status: response.status }).toEqual({ route, status: 200 });
      expect(response.headers.get("content-security-policy")).toBe(VIEWER_CSP);
      await response.arrayBuffer();
    }
    const directives = new Map(
      VIEWER_CSP.split(";").map((directive) => {
        const [name = "", ...values] = directive.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives.get("default-src")).toEqual(["'none'"]);
    expect(directives.get("script-src")).toEqual(["'self'"]);
    expect(directives.get("connect-src")).toEqual(["'self'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'self'"]);
    // The API's own answers keep their own policies (or none, for JSON), not the viewer's.
    const json = await fetch(`${api.url}/api/messages`);
    expect(json.headers.get("content-security-policy")).toBeNull();
    await json.arrayBuffer();
  });
});
