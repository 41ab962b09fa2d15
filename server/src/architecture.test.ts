import { describe, expect, it } from "vitest";
import { buildImportGraph, findCycles } from "./test-support/import-graph.js";

/**
 * The layering of DEVELOPERS.md ("Conventions / Layers"), checked on the imports of protocol/src,
 * server/src, client-sdk/src and web/src, type-only imports included.
 */
const { edges, unresolved } = buildImportGraph();

/** Tests and test helpers may reach across layers to set things up; shipped code may not. */
const isShipped = (file: string) => !/\.test\.tsx?$/.test(file) && !file.includes("/test-support/");

interface Rule {
  /** What the rule says, for the failure message. */
  name: string;
  /** The modules it applies to. */
  from: (file: string) => boolean;
  /** The imports it forbids them. */
  forbids: (target: string) => boolean;
}

const under = (folder: string) => (file: string) => file.startsWith(folder);
const inServer = (...folders: string[]) => {
  const prefixes = folders.map((folder) => `server/src/${folder}`);
  return (file: string) => prefixes.some((prefix) => file === prefix || file.startsWith(`${prefix}/`));
};

const RULES: Rule[] = [
  {
    name: "protocol imports nothing from the workspace",
    from: under("protocol/src/"),
    forbids: (target) => !target.startsWith("protocol/src/"),
  },
  {
    name: "store/ never imports the API, the SMTP layer, the waits or the event hub (the bus is fine)",
    from: (file) => under("server/src/store/")(file) && isShipped(file),
    forbids: (target) =>
      inServer("api", "smtp", "waits")(target) ||
      (inServer("events")(target) && target !== "server/src/events/bus.ts"),
  },
  {
    name: "events/bus imports no store module",
    from: (file) => file === "server/src/events/bus.ts",
    forbids: inServer("store"),
  },
  {
    name: "the event hub knows no store, API, SMTP or waits",
    from: (file) => under("server/src/events/")(file) && isShipped(file),
    forbids: inServer("store", "api", "smtp", "waits"),
  },
  {
    name: "waits/ knows no API or SMTP",
    from: (file) => under("server/src/waits/")(file) && isShipped(file),
    forbids: inServer("api", "smtp"),
  },
  {
    name: "smtp/ knows no API, waits or event hub",
    from: (file) => under("server/src/smtp/")(file) && isShipped(file),
    forbids: (target) =>
      inServer("api", "waits")(target) ||
      (inServer("events")(target) && target !== "server/src/events/bus.ts"),
  },
  {
    name: "api/http/ is plumbing: it knows no route, no OpenAPI builder and not the app that joins them",
    from: (file) => under("server/src/api/http/")(file) && isShipped(file),
    forbids: (target) => inServer("api/routes", "api/openapi", "api/app.ts")(target),
  },
  {
    name: "retrieval/ reads the store through its contract and knows no API, waits or event hub",
    from: (file) => under("server/src/retrieval/")(file) && isShipped(file),
    forbids: (target) =>
      inServer("api", "waits", "events/event-hub.ts")(target) ||
      (inServer("store")(target) && !inServer("store/message-store.ts", "store/model.ts")(target)) ||
      (inServer("smtp")(target) && !inServer("smtp/tls-credentials.ts", "smtp/transport-policy.ts")(target)),
  },
  {
    name: "only the composition root and the CLI start POP3 and IMAP",
    from: (file) =>
      file.startsWith("server/src/") && isShipped(file) && !inServer("retrieval", "sandbox.ts", "cli")(file),
    forbids: inServer("retrieval"),
  },
  {
    name: "web/ imports nothing from server/src",
    from: under("web/src/"),
    forbids: under("server/src/"),
  },
  {
    name: "client-sdk/src imports nothing from server/src (src/test-support may)",
    from: (file) => under("client-sdk/src/")(file) && !file.startsWith("client-sdk/src/test-support/"),
    forbids: under("server/src/"),
  },
];

describe("the workspace's imports", () => {
  it("cover every package and resolve", () => {
    for (const root of ["protocol/src/", "server/src/", "client-sdk/src/", "web/src/"]) {
      expect([...edges.keys()].filter(under(root)).length, root).toBeGreaterThan(5);
    }
    expect(unresolved).toEqual([]);
  });

  it("form no cycle, type-only imports included", () => {
    expect(findCycles(edges).map((cycle) => cycle.join(" -> "))).toEqual([]);
  });

  it.each(RULES)("follow the layers: $name", (rule) => {
    const broken: string[] = [];
    for (const [file, targets] of edges) {
      if (!rule.from(file)) continue;
      for (const target of targets) if (rule.forbids(target)) broken.push(`${file} imports ${target}`);
    }
    expect(broken).toEqual([]);
  });
});

describe("findCycles", () => {
  it("names each cycle as the path that closes it, and nothing for a graph without one", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(findCycles(graph)).toEqual([
      ["a", "b", "c", "a"],
      ["e", "e"],
    ]);
    expect(
      findCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toEqual([]);
  });
});
