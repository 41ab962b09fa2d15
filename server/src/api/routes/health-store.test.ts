import type { Health } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { startSandbox } from "../../sandbox.js";
import { startTestSandbox, testConfig, useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

describe("GET /api/health says which store is in use", () => {
  it("the data directory for the embedded store, and memory for --in-memory", async () => {
    const files = await startTestSandbox(cleanup);
    const onDisk = (await (await fetch(`${files.url}/api/health`)).json()) as Health;
    expect(onDisk.store).toEqual({ kind: "files", location: files.dataDir, reachable: true });
    expect(onDisk.status).toBe("ok");

    const memory = await startSandbox(testConfig(null));
    cleanup(() => memory.close());
    const inMemory = (await (await fetch(`${memory.url}/api/health`)).json()) as Health;
    expect(inMemory.store).toEqual({ kind: "memory", location: null, reachable: true });
  });
});
