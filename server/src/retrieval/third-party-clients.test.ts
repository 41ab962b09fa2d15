import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  mail,
  startRetrievalHarness,
  useRetrievalCleanup as useCleanup,
} from "../test-support/retrieval-harness.js";

/**
 * POP3 and IMAP against clients the project did not write: Python's imaplib and poplib, over
 * STARTTLS/STLS and implicit TLS with certificate verification, and curl's imap:// and pop3://
 * URLs. Each checks that what it fetched is byte for byte what SMTP delivered. A client that is not
 * installed is skipped, saying so.
 */

const cleanup = useCleanup();
const run = promisify(execFile);
const installed = (command: string) => spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
const HAS_PYTHON = installed("python3");
const HAS_CURL = installed("curl");
const skipped = (client: string, missing: boolean) =>
  missing ? ` (SKIPPED: ${client} is not installed)` : "";
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

/** A message with a dot-led line and 8-bit text, so transfers that alter bytes show. */
const RAW = mail({
  subject: "=?utf-8?q?Gr=C3=BC=C3=9Fe?=",
  to: "py@mailnest.test",
  headers: [
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit",
  ],
  body: "Grüße aus Berlin.\r\n.a line that starts with a dot\r\n..and one with two",
});

async function harnessWithMail() {
  const harness = await startRetrievalHarness(cleanup, { tls: true });
  const id = await harness.deliver(["py@mailnest.test"], RAW);
  const caFile = path.join(harness.dataDir, "client-ca.pem");
  await writeFile(caFile, harness.certificate!);
  return { harness, id, caFile };
}

const PYTHON = String.raw`
import hashlib, imaplib, json, poplib, ssl, sys
mode, imap_port, imaps_port, pop_port, pops_port, cafile = sys.argv[1:]
context = ssl.create_default_context(cafile=cafile)
out = {}
if mode == "imap":
    client = imaplib.IMAP4("127.0.0.1", int(imap_port))
    client.starttls(ssl_context=context)
    client.login("py@mailnest.test", "any")
    typ, data = client.select("INBOX")
    out["exists"] = int(data[0])
    typ, data = client.uid("SEARCH", None, "UNSEEN")
    out["unseen"] = data[0].decode().split()
    typ, data = client.fetch("1", "(BODY.PEEK[])")
    out["starttls"] = hashlib.sha256(data[0][1]).hexdigest()
    client.logout()
    secure = imaplib.IMAP4_SSL("127.0.0.1", int(imaps_port), ssl_context=context)
    secure.login("*", "any")
    typ, folders = secure.list()
    out["folders"] = sorted(f.decode() for f in folders)
    secure.select("INBOX", readonly=True)
    typ, data = secure.fetch("1", "(RFC822)")
    out["implicit"] = hashlib.sha256(data[0][1]).hexdigest()
    secure.logout()
else:
    client = poplib.POP3("127.0.0.1", int(pop_port))
    client.stls(context=context)
    client.user("py@mailnest.test")
    client.pass_("any")
    out["stat"] = list(client.stat())
    response, lines, octets = client.retr(1)
    out["starttls"] = hashlib.sha256(b"\r\n".join(lines) + b"\r\n").hexdigest()
    out["octets"] = octets
    client.quit()
    secure = poplib.POP3_SSL("127.0.0.1", int(pops_port), context=context)
    secure.user("py@mailnest.test")
    secure.pass_("any")
    response, lines, octets = secure.retr(1)
    out["implicit"] = hashlib.sha256(b"\r\n".join(lines) + b"\r\n").hexdigest()
    out["uidl"] = secure.uidl(1).decode()
    secure.quit()
print(json.dumps(out))
`;

async function python(
  mode: "imap" | "pop3",
  ports: number[],
  caFile: string,
): Promise<Record<string, unknown>> {
  const { stdout } = await run("python3", ["-c", PYTHON, mode, ...ports.map(String), caFile], {
    timeout: 20_000,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe("Python's imaplib and poplib", () => {
  it.skipIf(!HAS_PYTHON)(
    `imaplib over STARTTLS and implicit TLS fetches the bytes SMTP delivered${skipped("python3", !HAS_PYTHON)}`,
    async () => {
      const { harness, id, caFile } = await harnessWithMail();
      const { imap, pop3 } = harness;
      const out = await python(
        "imap",
        [imap.port!, imap.implicitTlsPort!, pop3.port!, pop3.implicitTlsPort!],
        caFile,
      );
      expect(out.exists).toBe(1);
      expect(out.unseen).toEqual([String(harness.store.summary(id)!.sequence)]);
      expect(out.starttls).toBe(sha256(RAW));
      expect(out.implicit).toBe(sha256(RAW));
      expect(out.folders).toEqual([
        '(\\HasNoChildren) "/" "INBOX"',
        '(\\HasNoChildren) "/" "py@mailnest.test"',
      ]);
      // RFC822 without PEEK marks the message read; the EXAMINE'd session did not.
      expect(harness.store.summary(id)!.read).toBe(false);
    },
  );

  it.skipIf(!HAS_PYTHON)(
    `poplib over STLS and implicit TLS retrieves the bytes SMTP delivered${skipped("python3", !HAS_PYTHON)}`,
    async () => {
      const { harness, id, caFile } = await harnessWithMail();
      const { imap, pop3 } = harness;
      const out = await python(
        "pop3",
        [imap.port!, imap.implicitTlsPort!, pop3.port!, pop3.implicitTlsPort!],
        caFile,
      );
      expect(out.stat).toEqual([1, Buffer.byteLength(RAW)]);
      expect(out.starttls).toBe(sha256(RAW));
      expect(out.implicit).toBe(sha256(RAW));
      expect(out.uidl).toBe(`+OK 1 ${harness.model.uidValidity}.${harness.store.summary(id)!.sequence}`);
      expect(harness.store.summary(id)!.read).toBe(true);
    },
  );
});

describe("curl", () => {
  const curl = async (args: string[]) =>
    (
      await run("curl", ["--silent", "--show-error", "--max-time", "10", ...args], {
        encoding: "buffer",
        timeout: 20_000,
      })
    ).stdout as Buffer;

  it.skipIf(!HAS_CURL)(
    `imap:// and imaps:// URLs fetch the bytes SMTP delivered${skipped("curl", !HAS_CURL)}`,
    async () => {
      const { harness, id, caFile } = await harnessWithMail();
      const uid = harness.store.summary(id)!.sequence;
      const user = ["--user", "py@mailnest.test:any", "--cacert", caFile];
      const starttls = await curl([
        ...user,
        "--ssl-reqd",
        `imap://127.0.0.1:${harness.imap.port}/INBOX;UID=${uid}`,
      ]);
      expect(sha256(starttls)).toBe(sha256(RAW));
      const implicit = await curl([
        ...user,
        `imaps://localhost:${harness.imap.implicitTlsPort}/INBOX;UID=${uid}`,
      ]);
      expect(sha256(implicit)).toBe(sha256(RAW));
      const listing = (
        await curl([...user, "--ssl-reqd", `imap://127.0.0.1:${harness.imap.port}/`])
      ).toString();
      expect(listing).toContain('LIST (\\HasNoChildren) "/" "INBOX"');
      // curl sends the UTF-8 bytes as they are; the subject is matched decoded.
      const search = (
        await curl([
          ...user,
          "--ssl-reqd",
          "--request",
          "SEARCH SUBJECT Grüße",
          `imap://127.0.0.1:${harness.imap.port}/INBOX`,
        ])
      ).toString();
      expect(search.trim()).toBe("* SEARCH 1");
      const found = (
        await curl([
          ...user,
          "--ssl-reqd",
          "--request",
          "SEARCH BODY Hamburg",
          `imap://127.0.0.1:${harness.imap.port}/INBOX`,
        ])
      ).toString();
      expect(found.trim()).toBe("* SEARCH");
    },
  );

  it.skipIf(!HAS_CURL)(
    `pop3:// and pop3s:// URLs retrieve the bytes SMTP delivered${skipped("curl", !HAS_CURL)}`,
    async () => {
      const { harness, caFile } = await harnessWithMail();
      const user = ["--user", "py@mailnest.test:any", "--cacert", caFile];
      const starttls = await curl([...user, "--ssl-reqd", `pop3://127.0.0.1:${harness.pop3.port}/1`]);
      expect(sha256(starttls)).toBe(sha256(RAW));
      const implicit = await curl([...user, `pop3s://localhost:${harness.pop3.implicitTlsPort}/1`]);
      expect(sha256(implicit)).toBe(sha256(RAW));
      const list = (await curl([...user, "--ssl-reqd", `pop3://127.0.0.1:${harness.pop3.port}/`])).toString();
      expect(list).toBe(`1 ${Buffer.byteLength(RAW)}\r\n`);
    },
  );
});
