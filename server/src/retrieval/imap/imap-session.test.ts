import { describe, expect, it } from "vitest";
import { StorageFailedError } from "../../store/errors.js";
import {
  LineClient,
  mail,
  startRetrievalHarness,
  useRetrievalCleanup as useCleanup,
} from "../../test-support/retrieval-harness.js";

const cleanup = useCleanup();

async function imap(port: number, options: { tls?: string } = {}) {
  const client = await LineClient.connect(port, options);
  cleanup(() => client.close());
  const greeting = await client.line();
  let counter = 0;
  const run = (command: string) => client.imap(`t${++counter}`, command);
  return { client, greeting, run };
}

async function loggedIn(port: number, user = "user@mailnest.test") {
  const session = await imap(port);
  expect((await session.run(`LOGIN ${user} secret`)).tagged).toMatch(/^t1 OK/);
  return session;
}

describe("IMAP sessions on the wire (RFC 3501)", () => {
  it("greets with its capabilities and refuses mailbox commands before login", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const { greeting, run } = await imap(harness.imap.port!);
    expect(greeting).toMatch(
      /^\* OK \[CAPABILITY IMAP4rev1 LITERAL\+ SASL-IR ID IDLE NAMESPACE UNSELECT CHILDREN AUTH=PLAIN\]/,
    );
    expect((await run("SELECT INBOX")).tagged).toBe("t1 NO SELECT refused: log in first");
    expect((await run("FETCH 1 FLAGS")).tagged).toBe("t2 NO FETCH refused: log in first");
    expect((await run("NOOP")).tagged).toBe("t3 OK NOOP completed");
    const login = await run('LOGIN "user@mailnest.test" "pa ss"');
    expect(login.tagged).toMatch(/^t4 OK \[CAPABILITY IMAP4rev1 .*\] Logged in$/);
    expect((await run("FETCH 1 FLAGS")).tagged).toBe("t5 BAD FETCH refused: select a mailbox first");
    expect((await run("LOGIN again please")).tagged).toBe("t6 BAD LOGIN refused: already logged in");
  });

  it("answers malformed commands with BAD and a reason, and carries on", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const { client, run } = await loggedIn(harness.imap.port!);
    const bad: Array<[string, RegExp]> = [
      ["FROBNICATE", /^t\d+ BAD Unknown command FROBNICATE$/],
      ['SELECT "unterminated', /BAD SELECT: unterminated quoted string$/],
      ["SELECT INBOX extra", /BAD SELECT: unexpected "extra" after the arguments$/],
      ["LIST", /BAD LIST: missing a reference name$/],
      ["STATUS INBOX (MESSAGES BOGUS)", /BAD STATUS: expected a status item/],
      ["SELECT (INBOX", /BAD SELECT: missing \)$/],
      ["SELECT INBOX)", /BAD SELECT: unexpected \)$/],
    ];
    for (const [command, reply] of bad) expect((await run(command)).tagged).toMatch(reply);
    client.write("\r\n");
    expect(await client.line()).toBe("* BAD Missing or invalid tag");
    client.write("+tag NOOP\r\n");
    expect(await client.line()).toBe("* BAD Missing or invalid tag");
    expect((await run("SELECT INBOX")).tagged).toMatch(/OK \[READ-WRITE\]/);
    const more: Array<[string, RegExp]> = [
      ["FETCH 1 FLAGS", /BAD FETCH: no message 1 \(the mailbox holds 0\)$/],
      ["FETCH x FLAGS", /BAD FETCH: expected a sequence set/],
      ["FETCH 1:* (FLAGS BOGUS)", /BAD FETCH: unknown fetch item "BOGUS"$/],
      ["FETCH 1:* BODY[HEADER.FIELDS]", /BAD FETCH: HEADER.FIELDS needs a list of header names$/],
      ["FETCH 1:* BODY[1.TEXTX]", /BAD FETCH: invalid section \[1.TEXTX\]$/],
      ["FETCH 1:* BODY[]<0.0>", /BAD FETCH: a partial fetch needs a count of at least 1$/],
      ["SEARCH FOO", /BAD SEARCH: unknown search key "FOO"$/],
      ["SEARCH SINCE 31-Feb-2024", /BAD SEARCH: invalid date "31-Feb-2024"$/],
      ["SEARCH OR SEEN", /BAD SEARCH: missing a search key$/],
      ["STORE 1:* +FLAGS (\\Recent)", /BAD STORE: \\Recent cannot be stored/],
      ["STORE 1:* BOGUS (\\Seen)", /BAD STORE: expected a store item/],
      ["SEARCH CHARSET KOI8-R ALL", /NO \[BADCHARSET \(US-ASCII UTF-8\)\]/],
      ["CREATE Archive", /NO \[CANNOT\] CREATE: Mailnest mailboxes are filled over SMTP only$/],
    ];
    for (const [command, reply] of more) expect((await run(command)).tagged).toMatch(reply);
    expect((await run("NOOP")).tagged).toMatch(/OK NOOP completed/);
  });

  it("reads literals, synchronizing and LITERAL+, and refuses oversized ones before reading them", async () => {
    const harness = await startRetrievalHarness(cleanup, {
      imapLimits: { maxLiteralBytes: 1024, maxLineBytes: 2048, maxCommandBytes: 4096 },
    });
    const { client } = await imap(harness.imap.port!);
    client.write("a LOGIN {18}\r\n");
    expect(await client.line()).toBe("+ Ready for literal data");
    client.write("user@mailnest.test {6+}\r\nsecret\r\n");
    expect((await client.readUntilTagged("a")).tagged).toMatch(/^a OK/);

    // A gigabyte announced: a synchronizing literal is refused before a byte of it is sent …
    client.write("b SEARCH TEXT {1073741824}\r\n");
    expect(await client.line()).toBe("b BAD [TOOBIG] literal of 1073741824 bytes is larger than 1024");
    expect((await client.imap("c", "NOOP")).tagged).toBe("c OK NOOP completed");
    // … and an over-long line is skipped up to its end.
    client.write(`d NOOP ${"x".repeat(5000)}\r\n`);
    expect(await client.line()).toBe("* BAD line too long");
    expect((await client.imap("e", "NOOP")).tagged).toBe("e OK NOOP completed");
    // A non-synchronizing one is already on its way: the server says BYE and closes.
    client.write("f SEARCH TEXT {1073741824+}\r\n");
    expect(await client.line()).toBe("* BYE [TOOBIG] literal of 1073741824 bytes is larger than 1024");
    await client.closed;
  });

  it("fetches sections and partials byte for byte, and sets \\Seen unless PEEK or EXAMINE", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const raw = mail({ subject: "Sections", body: "0123456789" });
    const id = await harness.deliver(["user@mailnest.test"], raw);
    const { run } = await loggedIn(harness.imap.port!);
    await run("EXAMINE INBOX");
    const peek = await run("FETCH 1 (BODY[TEXT] BODY[]<5.10>)");
    expect(peek.lines[0]).toBe(
      `* 1 FETCH (BODY[TEXT] {12}\r\n0123456789\r\n BODY[]<5> {10}\r\n${raw.slice(5, 15)})`,
    );
    expect(harness.store.summary(id)!.read).toBe(false);
    expect((await run("STORE 1 +FLAGS (\\Seen)")).tagged).toMatch(/NO \[READ-ONLY\]/);

    await run("SELECT INBOX");
    const header = await run("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)");
    expect(header.lines[0]).toBe(
      `* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {21}\r\nSubject: Sections\r\n\r\n RFC822.SIZE ${raw.length})`,
    );
    expect(harness.store.summary(id)!.read).toBe(false);
    const read = await run("FETCH 1 BODY[1]");
    expect(read.lines[0]).toBe("* 1 FETCH (BODY[1] {12}\r\n0123456789\r\n FLAGS (\\Seen))");
    expect(harness.store.summary(id)!.read).toBe(true);
    expect((await run("FETCH 1 BODY[2]")).lines[0]).toBe("* 1 FETCH (BODY[2] NIL)");
    const uid = harness.store.summary(id)!.sequence;
    expect((await run("UID FETCH 1:* FLAGS")).lines[0]).toBe(`* 1 FETCH (UID ${uid} FLAGS (\\Seen))`);
    expect((await run("FETCH 1 INTERNALDATE")).lines[0]).toMatch(
      /^\* 1 FETCH \(INTERNALDATE "[ \d]\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000"\)$/,
    );
  });

  it("pushes new mail, flag changes from the API and expunges to an idling client", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const first = await harness.deliver(["live@mailnest.test"], mail({ subject: "first" }));
    const { client, run } = await loggedIn(harness.imap.port!, "live@mailnest.test");
    await run("SELECT INBOX");
    client.write("i IDLE\r\n");
    expect(await client.line()).toBe("+ idling");
    await harness.deliver(["live@mailnest.test"], mail({ subject: "second" }));
    expect(await client.line()).toBe("* 2 EXISTS");
    await harness.store.setRead(first, true); // what the API and the viewer do
    const uid = harness.store.summary(first)!.sequence;
    expect(await client.line()).toBe(`* 1 FETCH (UID ${uid} FLAGS (\\Seen))`);
    await harness.store.deleteMessage(first);
    expect(await client.line()).toBe("* 1 EXPUNGE");
    await harness.deliver(["someone-else@mailnest.test"], mail({ subject: "not here" }));
    client.write("DONE\r\n");
    expect(await client.line()).toBe("i OK IDLE terminated");
  });

  it("keeps two sessions expunging the same inbox consistent, and holds numbers still during FETCH", async () => {
    const harness = await startRetrievalHarness(cleanup);
    for (const subject of ["a", "b", "c"]) await harness.deliver(["two@mailnest.test"], mail({ subject }));
    const one = await loggedIn(harness.imap.port!, "two@mailnest.test");
    const two = await loggedIn(harness.imap.port!, "two@mailnest.test");
    await one.run("SELECT INBOX");
    await two.run("SELECT INBOX");
    await one.run("STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    // The other session sees the flags (they are shared), but not the expunge during FETCH.
    const fetched = await two.run("FETCH 1:3 FLAGS");
    expect(fetched.lines).toEqual([
      "* 1 FETCH (FLAGS (\\Deleted))",
      "* 2 FETCH (FLAGS (\\Deleted))",
      "* 3 FETCH (FLAGS ())",
    ]);
    const [expunged, again] = await Promise.all([one.run("EXPUNGE"), two.run("EXPUNGE")]);
    expect(expunged.lines).toEqual(["* 1 EXPUNGE", "* 1 EXPUNGE"]);
    expect(again.tagged).toMatch(/OK EXPUNGE completed/);
    expect(again.lines).toEqual(["* 1 EXPUNGE", "* 1 EXPUNGE"]);
    expect((await two.run("FETCH 1:* FLAGS")).lines).toEqual(["* 1 FETCH (FLAGS ())"]);
    expect(harness.store.messageCount).toBe(1);
  });

  it("announces new mail before a command answers for its message numbers (no FETCH for a number the client was never told of)", async () => {
    const harness = await startRetrievalHarness(cleanup);
    await harness.deliver(["grow@mailnest.test"], mail({ subject: "first" }));
    const session = await loggedIn(harness.imap.port!, "grow@mailnest.test");
    await session.run("SELECT INBOX");
    await harness.deliver(["grow@mailnest.test"], mail({ subject: "second" }));
    await harness.deliver(["grow@mailnest.test"], mail({ subject: "third" }));
    const fetched = await session.run("FETCH 1:* (FLAGS)");
    expect(fetched.lines).toEqual([
      "* 3 EXISTS",
      "* 1 FETCH (FLAGS ())",
      "* 2 FETCH (FLAGS ())",
      "* 3 FETCH (FLAGS ())",
    ]);
    await harness.deliver(["grow@mailnest.test"], mail({ subject: "fourth" }));
    expect((await session.run("SEARCH ALL")).lines).toEqual(["* 4 EXISTS", "* SEARCH 1 2 3 4"]);
    await harness.deliver(["grow@mailnest.test"], mail({ subject: "fifth" }));
    expect((await session.run("STORE 5 +FLAGS (\\Flagged)")).lines).toEqual([
      "* 5 EXISTS",
      "* 5 FETCH (FLAGS (\\Flagged))",
    ]);
  });

  it("LIST patterns cost at most pattern × name: many wildcards answer at once instead of backtracking", async () => {
    const harness = await startRetrievalHarness(cleanup);
    const long = `${"a".repeat(60)}@mailnest.test`;
    await harness.deliver([long], mail({ subject: "named" }));
    const session = await loggedIn(harness.imap.port!, "*");
    // 2^50 ways to split the name for a backtracking matcher; this one walks it once per token.
    const listed = await session.run(`LIST "" "${"*%".repeat(50)}q"`);
    expect(listed.lines).toEqual([]);
    expect(listed.tagged).toMatch(/OK LIST completed/);
    expect((await session.run(`LIST "" "a%@*"`)).lines).toEqual([`* LIST (\\HasNoChildren) "/" "${long}"`]);
  });

  it("answers NO [UNAVAILABLE] while the storage is away, and serves the command again once it is back", async () => {
    const harness = await startRetrievalHarness(cleanup);
    await harness.deliver(["away@mailnest.test"], mail({ subject: "a" }));
    const { run } = await loggedIn(harness.imap.port!, "away@mailnest.test");
    await run("SELECT INBOX");
    const setRead = harness.store.setRead.bind(harness.store);
    // What the PostgreSQL store throws while its database restarts.
    harness.store.setRead = async () => {
      throw new StorageFailedError("marking a message read", new Error("connect ECONNREFUSED"), {
        unavailable: true,
      });
    };

    const refused = await run("STORE 1 +FLAGS (\\Seen)");
    harness.store.setRead = setRead;
    const served = await run("STORE 1 +FLAGS (\\Seen)");

    expect(refused.tagged).toMatch(
      /^t\d+ NO \[UNAVAILABLE\] STORE failed: the storage is unavailable, try again$/,
    );
    expect(served.tagged).toMatch(/OK STORE completed/);
    expect(served.lines).toEqual(["* 1 FETCH (FLAGS (\\Seen))"]);
  });

  it("upgrades with STARTTLS, disables LOGIN in plain text when TLS is required, and serves implicit TLS", async () => {
    const harness = await startRetrievalHarness(cleanup, { tls: true, requireTls: true });
    const { client, greeting, run } = await imap(harness.imap.port!);
    expect(greeting).toContain("STARTTLS LOGINDISABLED");
    expect(greeting).not.toContain("AUTH=PLAIN");
    expect((await run("LOGIN a@mailnest.test x")).tagged).toBe(
      "t1 NO [PRIVACYREQUIRED] Start TLS first (STARTTLS)",
    );
    expect((await run("AUTHENTICATE PLAIN AGEAeA==")).tagged).toBe(
      "t2 NO [PRIVACYREQUIRED] Start TLS first (STARTTLS)",
    );
    client.write("t3 STARTTLS\r\nt4 LOGIN injected@mailnest.test x\r\n");
    expect(await client.line()).toBe("t3 OK Begin TLS negotiation now");
    await client.startTls(harness.certificate!);
    const capability = await client.imap("t5", "CAPABILITY");
    expect(capability.lines[0]).toBe(
      "* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID IDLE NAMESPACE UNSELECT CHILDREN AUTH=PLAIN",
    );
    const plain = Buffer.from("\x00a@mailnest.test\x00x").toString("base64");
    expect((await client.imap("t6", `AUTHENTICATE PLAIN ${plain}`)).tagged).toMatch(/^t6 OK/);
    // What was pipelined after STARTTLS in plain text was dropped, not run.
    expect(harness.logins.map((login) => login.user)).toEqual(["a@mailnest.test"]);

    const secure = await imap(harness.imap.implicitTlsPort!, { tls: harness.certificate! });
    expect(secure.greeting).not.toContain("STARTTLS");
    expect((await secure.run("LOGIN b@mailnest.test x")).tagged).toMatch(/^t1 OK/);
  });

  it("caps connections per client and closes idle ones", async () => {
    const harness = await startRetrievalHarness(cleanup, {
      imapLimits: { maxConnectionsPerClient: 2, idleBeforeLoginMs: 300 },
    });
    const first = await imap(harness.imap.port!);
    const second = await imap(harness.imap.port!);
    const third = await imap(harness.imap.port!);
    expect(third.greeting).toBe("* BYE too many connections from 127.0.0.1");
    await third.client.closed;
    // Nothing said for longer than the pre-login timeout: BYE, and the slot is free again.
    expect(await first.client.line(2_000)).toBe("* BYE Autologout; idle for too long");
    await Promise.all([first.client.closed, second.client.closed]);
    // The server counts a connection until its side of the socket is closed too.
    let greeting: string | null = null;
    for (let attempt = 0; attempt < 40 && !greeting?.startsWith("* OK"); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      greeting = (await imap(harness.imap.port!)).greeting;
    }
    expect(greeting).toMatch(/^\* OK/);
  });
});
