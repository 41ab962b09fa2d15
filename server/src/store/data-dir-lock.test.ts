import { spawn } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, testMessage } from "../test-support/store-kit.js";
import { LOCK_FILE } from "./data-dir-lock.js";
import { DataDirInUseError } from "./errors.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid ?? 0;
}

describe("the data directory lock", () => {
  it("refuses a second store on a data directory that a running store holds", async () => {
    const dataDir = await kit.tempDir();
    await kit.open(dataDir);
    const second = kit.open(dataDir);
    await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
    await expect(second).rejects.toThrow(/in use by another Mailnest \(pid \d+\)/);
  });

  it("is released on close, so the next store opens the directory", async () => {
    const dataDir = await kit.tempDir();
    const { store } = await kit.open(dataDir);
    await ingestBuffer(store, testMessage());
    await store.close();
    expect(await readdir(dataDir)).not.toContain(LOCK_FILE);
    const { store: reopened } = await kit.open(dataDir);
    expect(reopened.messageCount).toBe(1);
  });

  it("takes over a lock left by a process that is gone (kill -9)", async () => {
    const dataDir = await kit.tempDir();
    const lock = { pid: await deadPid(), token: "left-behind", since: new Date().toISOString() };
    await writeFile(join(dataDir, LOCK_FILE), JSON.stringify(lock));
    const { store } = await kit.open(dataDir);
    expect(store.messageCount).toBe(0);
  });

  it("takes over an unreadable lock file", async () => {
    const dataDir = await kit.tempDir();
    await writeFile(join(dataDir, LOCK_FILE), "{ torn");
    await expect(kit.open(dataDir)).resolves.toBeDefined();
  });
});
