import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  LineClient,
  mail,
  startRetrievalHarness,
  useRetrievalCleanup as useCleanup,
} from "../../test-support/retrieval-harness.js";

const cleanup = useCleanup();
const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

async function pop3(port: number, options: { tls?: string } = {}) {
  const client = await LineClient.connect(port, options);
  cleanup(() => client.close());
  expect(await client.line()).toMatch(/^\+OK /);
  const command = async (line: string) => {
    client.write(`${line}\r\n`);
    return (await client.line()) ?? "(closed)";
  };
  /** A multi-line response, dot-unstuffed, as bytes. */
  const multiline = async (line: string) => {
    const first = await command(line);
    const lines: string[] = [];
    for (;;) {
      const next = await client.line();
      if (next === null || next === ".") break;
      lines.push(next.startsWith(".") ? next.slice(1) : next);
    }
    return { first, body: Buffer.from(lines.map((text) => `${text}\r\n`).join(""), "latin1") };
  };
  return { client, command, multiline };
}

describe("POP3 (RFC 1939, CAPA, UIDL, TOP, SASL PLAIN)", () => {
  it("lists, retrieves the exact bytes (dot-stuffed on the wire) and marks them read", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const raw = mail({ subject: "Dots", body: ".starts with a dot\r\n..two dots\r\n.\r\nend" });
    const id = await harness.deliver(["pat@mailnest.test"], raw);
    await harness.deliver(["other@mailnest.test"], mail({ subject: "not pat's" }));

    const { command, multiline } = await pop3(harness.pop3.port!);
    const capa = await multiline("CAPA");
    expect(capa.body.toString()).toMatch(/^TOP\r\nUIDL\r\n/);
    expect(capa.body.toString()).toContain("SASL PLAIN");
    expect(await command("USER Pat@mailnest.test")).toMatch(/^\+OK/);
    expect(await command("PASS whatever you like")).toMatch(/^\+OK Logged in; 1 messages/);
    expect(await command("STAT")).toBe(`+OK 1 ${Buffer.byteLength(raw)}`);
    expect(await command("LIST 1")).toBe(`+OK 1 ${Buffer.byteLength(raw)}`);
    const sequence = harness.store.summary(id)!.sequence;
    expect(await command("UIDL 1")).toBe(`+OK 1 ${harness.model.uidValidity}.${sequence}`);

    const top = await multiline("TOP 1 1");
    expect(top.body.toString()).toMatch(/Subject: Dots\r\n.*\r\n\r\n\.starts with a dot\r\n$/s);
    expect(harness.store.summary(id)!.read).toBe(false);

    const retr = await multiline("RETR 1");
    expect(retr.first).toBe(`+OK ${Buffer.byteLength(raw)} octets`);
    expect(sha256(retr.body)).toBe(sha256(Buffer.from(raw)));
    expect(harness.store.summary(id)!.read).toBe(true);
    expect(await command("QUIT")).toMatch(/^\+OK/);
  });

  it("deletes at QUIT only, RSET undoes, and a second session agrees", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const first = await harness.deliver(["del@mailnest.test"], mail({ subject: "one" }));
    const second = await harness.deliver(["del@mailnest.test"], mail({ subject: "two" }));
    const { command } = await pop3(harness.pop3.port!);
    await command("USER del@mailnest.test");
    await command("PASS x");
    expect(await command("DELE 1")).toMatch(/^\+OK/);
    expect(await command("DELE 1")).toBe("-ERR Message 1 is already deleted");
    expect(await command("RETR 1")).toBe("-ERR Message 1 is already deleted");
    expect(await command("STAT")).toMatch(/^\+OK 1 /);
    expect(await command("RSET")).toBe("+OK 2 messages");
    expect(await command("DELE 2")).toMatch(/^\+OK/);
    expect(harness.store.summary(second)).not.toBeNull();
    expect(await command("QUIT")).toBe("+OK Mailnest POP3 signing off (1 messages deleted)");
    expect(harness.store.summary(second)).toBeNull();
    expect(harness.store.summary(first)).not.toBeNull();

    const again = await pop3(harness.pop3.port!);
    await again.command("USER del@mailnest.test");
    expect(await again.command("PASS x")).toMatch(/^\+OK Logged in; 1 messages/);
  });

  it("answers -ERR for a message another session deleted, even one whose bytes this server had read", async () => {
    const harness = await startRetrievalHarness(cleanup);
    await harness.deliver(["both@mailnest.test"], mail({ subject: "shared" }));
    const a = await pop3(harness.pop3.port!);
    const b = await pop3(harness.pop3.port!);
    for (const session of [a, b]) {
      await session.command("USER both@mailnest.test");
      expect(await session.command("PASS x")).toMatch(/^\+OK Logged in; 1 messages/);
    }
    // A reads it (its bytes are now cached), deletes it and leaves.
    expect((await a.multiline("TOP 1 0")).first).toMatch(/^\+OK/);
    expect(await a.command("DELE 1")).toMatch(/^\+OK/);
    expect(await a.command("QUIT")).toMatch(/1 messages deleted/);
    expect(await b.command("RETR 1")).toBe("-ERR That message was deleted meanwhile");
    expect(await b.command("TOP 1 0")).toBe("-ERR That message was deleted meanwhile");
  });

  it("logs in with AUTH PLAIN, with and without the initial response, and refuses bad ones", async () => {
    const harness = await startRetrievalHarness(cleanup, {
      users: new Map([["ann@mailnest.test", "s3cret"]]),
    });
    const plain = (user: string, password: string) =>
      Buffer.from(`\x00${user}\x00${password}`).toString("base64");
    const a = await pop3(harness.pop3.port!);
    expect(await a.command(`AUTH PLAIN ${plain("ann@mailnest.test", "wrong")}`)).toBe(
      "-ERR [AUTH] invalid user name or password",
    );
    expect(await a.command("AUTH PLAIN")).toBe("+ ");
    expect(await a.command(plain("ann@mailnest.test", "s3cret"))).toMatch(/^\+OK Logged in/);
    const b = await pop3(harness.pop3.port!);
    expect(await b.command("AUTH PLAIN")).toBe("+ ");
    expect(await b.command("*")).toBe("-ERR AUTH cancelled");
    expect(await b.command("AUTH PLAIN !!!")).toMatch(/^-ERR Invalid SASL PLAIN/);
    expect(await b.command("USER ann@mailnest.test")).toMatch(/^\+OK/);
    expect(await b.command("PASS s3cret")).toMatch(/^\+OK Logged in/);
  });

  it("answers bad input with -ERR and keeps the session", async () => {
    const harness = await startRetrievalHarness(cleanup, { pop3Limits: { maxLineBytes: 64 } });
    const { client, command } = await pop3(harness.pop3.port!);
    expect(await command("STAT")).toBe("-ERR STAT not allowed now");
    expect(await command("PASS x")).toBe("-ERR USER first");
    expect(await command("FROB")).toBe('-ERR Unknown command "FROB"');
    expect(await command(`USER ${"x".repeat(500)}`)).toBe("-ERR Line too long");
    expect(await command("USER a\x01b")).toBe("-ERR Control characters in command");
    await command("USER x@mailnest.test");
    await command("PASS y");
    expect(await command("RETR 0")).toBe("-ERR Expected a message number");
    expect(await command("RETR 99")).toBe("-ERR No message 99");
    expect(await command("TOP 1")).toBe("-ERR Wrong number of arguments");
    expect(await command("NOOP")).toBe("+OK");
    client.write("NOOP\r\nNOOP\r\nSTAT\r\n"); // pipelined (RFC 2449 PIPELINING)
    expect([await client.line(), await client.line(), await client.line()]).toEqual([
      "+OK",
      "+OK",
      "+OK 0 0",
    ]);
  });

  it("upgrades with STLS, refuses plain-text login when TLS is required, and serves implicit TLS", async () => {
    const harness = await startRetrievalHarness(cleanup, { tls: true, requireTls: true });
    const { client, command, multiline } = await pop3(harness.pop3.port!);
    expect((await multiline("CAPA")).body.toString()).toContain("STLS");
    expect(await command("USER a@mailnest.test")).toBe(
      "-ERR [AUTH] Plain-text login refused: use STLS first",
    );
    expect(await command("STLS")).toBe("+OK Begin TLS negotiation");
    await client.startTls(harness.certificate!);
    const capa = await multiline("CAPA");
    expect(capa.body.toString()).not.toContain("STLS");
    expect(await command("USER a@mailnest.test")).toMatch(/^\+OK/);
    expect(await command("PASS x")).toMatch(/^\+OK Logged in/);
    expect(harness.logins.at(-1)).toMatchObject({ protocol: "pop3", tls: true, inbox: "a@mailnest.test" });

    const secure = await pop3(harness.pop3.implicitTlsPort!, { tls: harness.certificate! });
    expect(await secure.command("USER a@mailnest.test")).toMatch(/^\+OK/);
  });
});
