import net from "node:net";
import { expect, test } from "@playwright/test";
import { freshAddress, sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";
import { inboxUrl, messageRow, openViewer } from "../../support/viewer.js";

/**
 * One read state (issue 13): a message read over IMAP turns read in the open viewer, and one
 * opened in the viewer is \Seen over IMAP, pushed to a client idling on the inbox.
 */

const own = useOwnSandbox({ imapPort: 0 });
/** A bare IMAP client over a socket: commands in, lines out. */
async function imapSession(port: number, user: string) {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const connecting = net.connect({ host: "127.0.0.1", port }, () => resolve(connecting));
    connecting.once("error", reject);
  });
  let buffer = "";
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  socket.setEncoding("latin1").on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\r\n"); end !== -1; end = buffer.indexOf("\r\n")) {
      lines.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
    wake?.();
  });
  const line = async (test: (text: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const index = lines.findIndex(test);
      if (index !== -1) return lines.splice(0, index + 1).at(-1)!;
      if (Date.now() > deadline) throw new Error(`IMAP: no such line; got ${JSON.stringify(lines)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  let tag = 0;
  const run = async (command: string) => {
    const t = `t${++tag}`;
    const seen = lines.length;
    socket.write(`${t} ${command}\r\n`);
    const tagged = await line((text) => text.startsWith(`${t} `));
    return { tagged, untagged: lines.splice(0, lines.length - seen) };
  };
  await line((text) => text.startsWith("* OK"));
  expect((await run(`LOGIN ${user} any`)).tagged).toMatch(/OK/);
  return { run, line, write: (text: string) => socket.write(text), close: () => socket.destroy() };
}

test("a message read over IMAP turns read in the open viewer, without a reload", async ({ page }) => {
  const address = freshAddress("imap-read");
  await sendMail(
    { from: "app@example.test", to: address, subject: "Read me over IMAP", text: "hi" },
    own.sandbox.smtpPort,
  );
  await openViewer(page, inboxUrl(address, undefined, own.sandbox.url));
  const row = messageRow(page, "Read me over IMAP");
  await expect(row).toHaveClass(/\bunread\b/);

  const imap = await imapSession(own.sandbox.imapPort!, address);
  try {
    await imap.run("SELECT INBOX");
    expect((await imap.run("FETCH 1 BODY[TEXT]")).tagged).toMatch(/OK/);
    await expect(row).not.toHaveClass(/\bunread\b/);
  } finally {
    imap.close();
  }
});

test("a message opened in the viewer is \\Seen for a client idling over IMAP", async ({ page }) => {
  const address = freshAddress("viewer-read");
  await sendMail(
    { from: "app@example.test", to: address, subject: "Open me in the viewer", text: "hi" },
    own.sandbox.smtpPort,
  );
  const imap = await imapSession(own.sandbox.imapPort!, address);
  try {
    await imap.run("SELECT INBOX");
    imap.write("i IDLE\r\n");
    await imap.line((text) => text.startsWith("+"));

    await openViewer(page, inboxUrl(address, undefined, own.sandbox.url));
    await messageRow(page, "Open me in the viewer").click();
    await expect(page.getByRole("heading", { level: 1, name: "Open me in the viewer" })).toBeVisible();

    expect(await imap.line((text) => text.includes("FETCH"))).toMatch(
      /^\* 1 FETCH \(UID \d+ FLAGS \(\\Seen\)\)$/,
    );
    imap.write("DONE\r\n");
    await imap.line((text) => text.startsWith("i OK"));
  } finally {
    imap.close();
  }
});
