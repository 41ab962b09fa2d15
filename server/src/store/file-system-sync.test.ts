import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSystemSyncError, fileSystemSync } from "./file-system-sync.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe.runIf(process.platform === "linux")("file-system sync (syncfs through sync --file-system)", () => {
  it("syncs the file system of an existing directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailnest-syncfs-"));
    dirs.push(dir);
    await expect(fileSystemSync(dir)!()).resolves.toBeUndefined();
  });

  it("rejects with an error naming the directory when it cannot be synced", async () => {
    const missing = join(tmpdir(), "mailnest-syncfs-no-such-dir", "messages");
    const error = await fileSystemSync(missing)!().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileSystemSyncError);
    expect((error as FileSystemSyncError).message).toContain(missing);
  });
});

describe("file-system sync", () => {
  it("is offered on Linux only; elsewhere checkpoints fsync file by file", () => {
    expect(fileSystemSync(tmpdir()) !== null).toBe(process.platform === "linux");
  });
});
