// The README's first command, `npm start`, in a copy of this workspace's source without anything
// installed or built: it must install, build every package the server needs and start a sandbox that
// takes mail and serves the viewer. It broke once without any test noticing (the web build could not
// resolve @mailnest/protocol, which nothing had built), because every other suite runs on a
// workspace that `npm test` had already built in full.
//
// The copy is the files git tracks plus untracked ones it does not ignore, so a change under test
// is included before it is committed. pnpm installs from its store, which `npm test`'s own install
// has already filled, so this needs no network beyond what that install needed.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.mjs";
import { untilHealthy } from "./health.mjs";

const workspace = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Install plus the build of protocol, server, SDK and viewer: about 2 minutes on a slow 2-core machine. */
const START_TIMEOUT_MS = 8 * 60_000;

let root;
let server;

before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "mailnest-clone-"));
  const clone = path.join(root, "mailnest");
  await copySource(clone);
  server = await npmStart(clone, path.join(root, "data"));
});

after(async () => {
  await server?.stop();
  if (root) await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

describe("npm start in a fresh copy of the repository", () => {
  it("installs, builds and starts: the API answers and the viewer is served", async () => {
    const health = await (await fetch(`${server.url}/api/health`)).json();
    assert.equal(health.status, "ok");
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<!doctype html>/i);
  });

  it("a message sent over SMTP is listed, with the subject it was sent with", async () => {
    const subject = `from a fresh copy ${Date.now()}`;
    await sendOverSmtp(server.smtpPort, "app@example.test", "newcomer@example.test", subject);
    const listed = await (await fetch(`${server.url}/api/messages?to=newcomer@example.test`)).json();
    assert.deepEqual(
      listed.messages.map((message) => message.subject),
      [subject],
    );
  });
});

async function copySource(destination) {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: workspace,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  })
    .split("\0")
    .filter(Boolean);
  assert.ok(files.includes("package.json"), `git ls-files in ${workspace} did not list package.json`);
  for (const file of files) {
    await mkdir(path.dirname(path.join(destination, file)), { recursive: true });
    // A file deleted in the work tree but not yet from the index is not part of the copy.
    await cp(path.join(workspace, file), path.join(destination, file)).catch((error) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
}

/** `npm start -- <ports>` in its own process group; resolves once the banner's API answers. */
async function npmStart(cwd, dataDir) {
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const args = ["start", "--", "--smtp-port", String(smtpPort), "--http-port", String(httpPort)];
  args.push("--pop3-port", "off", "--imap-port", "off", "--data-dir", dataDir);
  const child = spawn("npm", args, { cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  let exited = null;
  const exit = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      exited = signal ?? code;
      resolve();
    });
  });
  // npm can exit before the server it started has finished closing (and writing its data dir), so
  // stopping waits for the whole process group to be gone, not only for npm.
  const stop = async () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
    await exit;
    const deadline = Date.now() + 30_000;
    while (groupAlive(child.pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await untilHealthy(url, { timeoutMs: START_TIMEOUT_MS, intervalMs: 250, exited: () => exited });
  } catch (error) {
    await stop();
    throw new Error(`npm start: ${error.message}:\n${output}`);
  }
  return { url, smtpPort, stop };
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One message over a plain SMTP conversation, each reply checked. */
async function sendOverSmtp(port, from, to, subject) {
  const socket = net.connect({ host: "127.0.0.1", port });
  let buffer = "";
  const waiters = [];
  socket.on("data", (chunk) => {
    buffer += chunk.toString("latin1");
    for (;;) {
      // A reply ends at a line whose code is followed by a space (not "-", a continuation).
      const end = buffer.match(/^\d{3} .*\r\n/m);
      if (!end) break;
      const reply = buffer.slice(0, end.index + end[0].length);
      buffer = buffer.slice(reply.length);
      waiters.shift()?.(reply);
    }
  });
  const reply = () => new Promise((resolve) => waiters.push(resolve));
  const expect = async (code, command) => {
    const pending = reply();
    if (command !== undefined) socket.write(command);
    const text = await pending;
    assert.ok(text.startsWith(code), `after ${JSON.stringify(command ?? "connect")}: ${text}`);
  };
  try {
    await expect("220");
    await expect("250", "EHLO app.example.test\r\n");
    await expect("250", `MAIL FROM:<${from}>\r\n`);
    await expect("250", `RCPT TO:<${to}>\r\n`);
    await expect("354", "DATA\r\n");
    await expect("250", `From: <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\n\r\nHello.\r\n.\r\n`);
    await expect("221", "QUIT\r\n");
  } finally {
    socket.destroy();
  }
}
