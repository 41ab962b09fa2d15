import { LIST_PARAMETERS, WAIT_PARAMETERS } from "@mailnest/protocol";
import type { Express } from "express";
import { describe, expect, it } from "vitest";
import { ApiHarness, inboxPath } from "../../test-support/api-harness.js";
import { openApiChecks } from "../../test-support/openapi-check.js";
import { useCleanup } from "../../test-support/test-sandbox.js";
import { createApp } from "../app.js";
import { isPeerPath, isUnder, PEER_PREFIXES } from "../http/peer-paths.js";
import { openApiDocument } from "./document.js";
import type { JsonSchema, Operation, Parameter } from "./types.js";

const { resolve, schemaErrors, responseSchema } = openApiChecks(openApiDocument);

const cleanup = useCleanup();

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every `METHOD /path` the express app routes, with `:param` written as OpenAPI's `{param}`. */
function registeredRoutes(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, enabled] of Object.entries(layer.route.methods)) {
          if (enabled && method !== "_all") {
            found.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, "{$1}")}`);
          }
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found.sort();
}

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument.paths)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

function operations(): [string, string, Operation][] {
  return Object.entries(openApiDocument.paths).flatMap(([path, item]) =>
    Object.entries(item).map(
      ([method, operation]) => [path, method, operation] as [string, string, Operation],
    ),
  );
}

function parametersOf(operation: Operation): Parameter[] {
  return (operation.parameters ?? []).map((parameter) => resolve<Parameter>(parameter));
}

describe("the OpenAPI document", () => {
  it("lists exactly the method + path pairs the app routes", async () => {
    const api = await ApiHarness.start(cleanup);
    const app = createApp({
      config: api.config,
      store: api.sandbox.store,
      waits: api.http.waits,
    });
    expect(documentedRoutes()).toEqual(registeredRoutes(app));
    expect(registeredRoutes(app).length).toBeGreaterThan(15);
  });

  it("gives Mailnest's own routes no path a peer's API uses at its root, which --compat would take over", () => {
    const own = Object.keys(openApiDocument.paths).filter(
      (path) => !Object.values(PEER_PREFIXES).some((prefix) => isUnder(path, prefix)),
    );
    expect(own.length).toBeGreaterThan(15);
    // Outside the peers' prefixes, a peer path is one of their root paths.
    expect(own.filter(isPeerPath)).toEqual([]);
  });

  it("is served at /api/openapi.json", async () => {
    const api = await ApiHarness.start(cleanup);
    const { status, body } = await api.json("/api/openapi.json");
    expect(status).toBe(200);
    expect(body).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
  });

  it("is structurally valid OpenAPI 3.1: ids, tags, responses, path parameters, references", () => {
    expect(openApiDocument.openapi).toMatch(/^3\.1\.\d+$/);
    expect(openApiDocument.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const tags = new Set(openApiDocument.tags.map((tag) => tag.name));
    const ids = new Set<string>();
    for (const [path, method, operation] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(path, where).toMatch(/^\/[\w/{}.-]*$/);
      expect(ids.has(operation.operationId), `${where}: duplicate operationId`).toBe(false);
      ids.add(operation.operationId);
      expect(operation.summary, where).not.toBe("");
      for (const tag of operation.tags) expect(tags.has(tag), `${where}: tag ${tag}`).toBe(true);
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.every((status) => /^[1-5]\d\d$/.test(status)),
        where,
      ).toBe(true);
      expect(
        statuses.some((status) => status.startsWith("2")),
        `${where}: no success response`,
      ).toBe(true);

      const parameters = parametersOf(operation);
      const keys = parameters.map((p) => `${p.in}:${p.name}`);
      expect(new Set(keys).size, `${where}: duplicate parameter`).toBe(keys.length);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const inPath = parameters.filter((p) => p.in === "path");
      expect(inPath.map((p) => p.name).sort(), `${where}: path parameters`).toEqual(templated);
      expect(
        inPath.every((p) => p.required === true),
        `${where}: path parameters must be required`,
      ).toBe(true);
      for (const requirement of operation.security ?? []) {
        for (const scheme of Object.keys(requirement)) {
          expect(
            openApiDocument.components.securitySchemes[scheme],
            `${where}: scheme ${scheme}`,
          ).toBeDefined();
        }
      }
    }
    // Every $ref anywhere in the document resolves.
    const refs = JSON.stringify(openApiDocument).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(() => resolve({ $ref: ref.slice(8, -1) }), ref).not.toThrow();
  });

  it("documents the same query parameters the routes accept", () => {
    const queryNames = (path: string) =>
      parametersOf(openApiDocument.paths[path]?.get as Operation)
        .filter((p) => p.in === "query")
        .map((p) => p.name)
        .sort();
    const accepted = (names: readonly string[]) => [...names].filter((name) => name !== "token").sort();
    expect(queryNames("/api/messages")).toEqual(accepted(LIST_PARAMETERS));
    expect(queryNames("/api/inboxes/{address}/messages")).toEqual(accepted(LIST_PARAMETERS));
    expect(queryNames("/api/wait")).toEqual(accepted(WAIT_PARAMETERS));
    expect(queryNames("/api/inboxes/{address}/wait")).toEqual(accepted(WAIT_PARAMETERS));
  });

  it("describes what the real routes answer", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({
      from: '"Ada" <ada@example.test>',
      to: "ann@example.test",
      cc: "cc@example.test",
      subject: "documented",
      text: "see https://example.test",
      html: "<p>hi</p>",
      attachments: [{ filename: "a.txt", content: "x" }],
    });
    const check = async (route: string, path: string, method = "get", status = "200", init = {}) => {
      const response = await api.json(route, init);
      expect(response.status, route).toBe(Number(status));
      expect(schemaErrors(responseSchema(path, method, status), response.body), route).toEqual([]);
    };
    await check("/api/health", "/api/health");
    await check("/api/inboxes", "/api/inboxes");
    await check("/api/inboxes", "/api/inboxes", "post", "201", { method: "POST", body: { ttl: 1000 } });
    await check(inboxPath("ann@example.test"), "/api/inboxes/{address}");
    await check("/api/messages", "/api/messages");
    await check(`/api/messages/${id}`, "/api/messages/{id}");
    await check(`/api/messages/${id}/headers`, "/api/messages/{id}/headers");
    await check(inboxPath("ann@example.test", "/wait"), "/api/inboxes/{address}/wait");
    await check(`/api/messages/${id}`, "/api/messages/{id}", "patch", "200", {
      method: "PATCH",
      body: { read: true },
    });
    await check("/api/wait?subject=nothing&timeout=0", "/api/wait", "get", "408");
    await check("/api/messages?limit=0", "/api/messages", "get", "400");
    await check("/api/messages/01aaaaaaaaaaaaaaaaaaaaaaaa", "/api/messages/{id}", "get", "404");
    await check(inboxPath("ann@example.test", "/read"), "/api/inboxes/{address}/read", "post", "200", {
      method: "POST",
    });
    await check(
      inboxPath("ann@example.test", "/messages"),
      "/api/inboxes/{address}/messages",
      "delete",
      "200",
      {
        method: "DELETE",
      },
    );
  });
});

describe("schemaErrors (the check above)", () => {
  it("reports missing, mistyped and undocumented fields", () => {
    const schema: JsonSchema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
    expect(schemaErrors(schema, { a: 1 })).toEqual([]);
    expect(schemaErrors(schema, {})).toEqual(["$.a is missing"]);
    expect(schemaErrors(schema, { a: "1" })).toEqual(["$.a is string, expected integer"]);
    expect(schemaErrors(schema, { a: 1, b: 2 })).toEqual(["$.b is not documented"]);
  });
});
