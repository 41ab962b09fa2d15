import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { describe, expect, it } from "vitest";
import { useCleanup } from "../../test-support/test-sandbox.js";
import { jsonListParts, sendJsonParts } from "./send-json-parts.js";

const cleanup = useCleanup();

async function collect(parts: AsyncIterable<string> | Iterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

describe("JSON written piece by piece", () => {
  it("serializes each item on its own, never the whole list at once", async () => {
    const items = [{ id: 1 }, { id: 2, text: "x" }, { id: 3 }];
    const parts = await collect(jsonListParts(items, { fields: { head: 7 }, key: "messages" }));
    // The fields, "[", one part per item, "]}".
    expect(parts).toHaveLength(items.length + 3);
    expect(JSON.parse(parts.join(""))).toEqual({ head: 7, messages: items });
    expect(JSON.parse((await collect(jsonListParts([], { fields: {}, key: "items" }))).join(""))).toEqual({
      items: [],
    });
  });

  it("skips items that are gone and counts those written, after them", async () => {
    async function* items() {
      yield { id: 1 };
      yield null;
      yield { id: 3 };
    }
    const wrapped = (
      await collect(jsonListParts(items(), { fields: { total: 3 }, key: "items", countKey: "count" }))
    ).join("");
    expect(JSON.parse(wrapped)).toEqual({ total: 3, items: [{ id: 1 }, { id: 3 }], count: 2 });
    expect(JSON.parse((await collect(jsonListParts(items()))).join(""))).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it("waits for a slow reader between pieces and arrives whole", async () => {
    const big = "y".repeat(1024 * 1024);
    const app = express();
    app.get(
      "/",
      (_req, res) =>
        void sendJsonParts(res, jsonListParts(Array(8).fill(big), { fields: { n: 8 }, key: "items" })),
    );
    const server = createServer(app).listen(0, "127.0.0.1");
    cleanup(() => new Promise((resolve) => server.close(resolve)));
    await new Promise((resolve) => server.once("listening", resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = (await response.json()) as { n: number; items: string[] };
    expect(body.n).toBe(8);
    expect(body.items.every((item) => item === big)).toBe(true);
  });
});
