import { spawn } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createStoreKit, ingestBuffer, testMessage } from "../test-support/store-kit.js";
import { LOCK_FILE, processState } from "./data-dir-lock.js";
import { DataDirInUseError } from "./errors.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** The pid of a process that has certainly exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid ?? 0;
}

/** Resolves once `pid` is a zombie (exited, not reaped); at most 5 s. */
async function waitForZombie(pid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const state = processState(pid);
    if (state === "Z") return;
    if (Date.now() > deadline) throw new Error(`process ${pid} did not become a zombie (state ${state})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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

  it.runIf(process.platform === "linux")(
    "takes over a lock whose process exited but was not yet reaped (a zombie)",
    async () => {
      // The inner shell prints its pid and exits a moment later, by when its parent has become
      // `sleep`, which never waits for children: it stays a zombie until the sleep ends.
      const parent = spawn("sh", ["-c", 'sh -c "echo \\$\\$; sleep 0.3" & exec sleep 10'], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      try {
        const pid = Number(
          (await new Promise<Buffer>((resolve) => parent.stdout.once("data", resolve))).toString(),
        );
        await waitForZombie(pid);
        const dataDir = await kit.tempDir();
        const lock = { pid, token: "left-behind", since: new Date().toISOString() };
        await writeFile(join(dataDir, LOCK_FILE), JSON.stringify(lock));
        const { store } = await kit.open(dataDir);
        expect(store.messageCount).toBe(0);
      } finally {
        parent.kill("SIGKILL");
      }
    },
  );

  it("takes over an unreadable lock file", async () => {
    const dataDir = await kit.tempDir();
    await writeFile(join(dataDir, LOCK_FILE), "{ torn");
    await expect(kit.open(dataDir)).resolves.toBeDefined();
  });
});
