import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileSystemSyncError, fileSystemSync } from "./file-system-sync.js";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function run(file: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve({ stdout });
    });
  });
}

describe.runIf(process.platform === "linux")("file-system sync (syncfs through sync --file-system)", () => {
  it("syncs the file system of an existing directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailnest-syncfs-"));
    dirs.push(dir);
    const helper = fileSystemSync(dir)!;
    // Several in a row through the one helper process, each answered in turn.
    await expect(Promise.all([helper.sync(), helper.sync(), helper.sync()])).resolves.toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    helper.close();
    await expect(helper.sync()).rejects.toBeInstanceOf(FileSystemSyncError);
  });

  it("starts its helper process at the first sync, not before", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mailnest-syncfs-lazy-"));
    dirs.push(dir);
    const helpersOf = async () =>
      (await run("ps", ["-e", "-o", "args="])).stdout.split("\n").filter((line) => line.includes(dir));
    const helper = fileSystemSync(dir)!;
    expect(await helpersOf()).toEqual([]);
    await helper.sync();
    expect(await helpersOf()).toHaveLength(1);
    helper.close();
    // A helper closed before it ever synced never starts one.
    const unused = fileSystemSync(dir)!;
    unused.close();
    await expect(unused.sync()).rejects.toBeInstanceOf(FileSystemSyncError);
  });

  it("keeps the process alive while a sync is awaited, and not while idle", async () => {
    // A process whose only work is awaiting a sync (the last step of a shutdown) must see it
    // answered; an idle helper must not keep a finished process running.
    const script = [
      `import { fileSystemSync } from ${JSON.stringify(new URL("./file-system-sync.ts", import.meta.url).href)};`,
      "const helper = fileSystemSync(process.cwd());",
      "await helper.sync();",
      'console.log("synced");',
    ].join("\n");
    // The helper is never closed: if it kept the process alive, execFile would time out and reject.
    const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    expect(stdout.trim()).toBe("synced");
  });

  it("rejects with an error naming the directory when it cannot be synced", async () => {
    const missing = join(tmpdir(), "mailnest-syncfs-no-such-dir", "messages");
    const helper = fileSystemSync(missing)!;
    const error = await helper.sync().catch((caught: unknown) => caught);
    helper.close();
    expect(error).toBeInstanceOf(FileSystemSyncError);
    expect((error as FileSystemSyncError).message).toContain(missing);
  });
});

describe("file-system sync", () => {
  it("is offered on Linux only; elsewhere checkpoints fsync file by file", () => {
    const helper = fileSystemSync(tmpdir());
    expect(helper !== null).toBe(process.platform === "linux");
    helper?.close();
  });
});
