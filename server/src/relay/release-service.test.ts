import type net from "node:net";
import type { Release } from "@mailnest/protocol";
import { SMTPServer } from "smtp-server";
import { describe, expect, it, vi } from "vitest";
import { type Sandbox, startSandbox } from "../sandbox.js";
import { freePort } from "../test-support/free-port.js";
import { queuedId, SmtpTestClient } from "../test-support/smtp-test-client.js";
import {
  readAll,
  rfc822,
  startTestSandbox,
  tempDir,
  testConfig,
  useCleanup,
} from "../test-support/test-sandbox.js";
import { compileRecipientPattern } from "./recipient-pattern.js";
import { parseRelayUrl } from "./relay-target.js";
import { type CliRelayRule, ReleaseService } from "./release-service.js";

const cleanup = useCleanup();

const FAST_RETRY = { initialDelayMs: 30, maxDelayMs: 100, giveUpAfterMs: 60_000 };

/** A release service on `source`, relaying to 127.0.0.1:`port` for recipients matching `allow`. */
async function openReleases(
  source: Sandbox,
  port: number | null,
  options: {
    allow?: string[];
    cliRules?: CliRelayRule[];
    query?: string;
    dataDir?: string;
    auth?: string;
  } = {},
) {
  const allow = (options.allow ?? ["*@device.test"]).map(compileRecipientPattern);
  const userinfo = options.auth === undefined ? "" : `${options.auth}@`;
  const relay =
    port === null
      ? null
      : parseRelayUrl(`smtp://${userinfo}127.0.0.1:${port}/${options.query ?? "?starttls=off"}`, allow);
  const service = await ReleaseService.open({
    // A journal of its own, apart from the sandbox's own release service.
    dataDir: options.dataDir ?? (await tempDir(cleanup)),
    bus: source.bus,
    store: source.store,
    relay,
    domain: source.config.domain,
    retry: FAST_RETRY,
    ...(options.cliRules ? { cliRules: options.cliRules } : {}),
  });
  cleanup(() => service.close());
  return service;
}

async function capture(sandbox: Sandbox, raw: string, to = "user@staging.test"): Promise<string> {
  const client = await SmtpTestClient.open(sandbox.smtpPort);
  cleanup(() => client.destroy());
  const reply = await client.sendMessage({ from: "app@staging.test", to: [to], raw });
  expect(reply.code).toBe(250);
  await client.quit();
  return queuedId(reply.raw);
}

function settled(service: ReleaseService, id: string, state: Release["state"]) {
  return new Promise<Release>((resolve) => {
    const check = () => {
      const release = service.get(id);
      if (release.state === state) {
        stop();
        resolve(release);
      }
    };
    const stop = service.onReleaseChange(check);
    check();
  });
}

const original = rfc822({
  from: "app@staging.test",
  to: "user@staging.test",
  subject: "Your order shipped",
  body: "Tracking: 1Z999\r\n.leading dot stays\r\n\r\n-- \r\nStaging",
  headers: ["DKIM-Signature: v=1; a=rsa-sha256; d=staging.test; s=x; b=AAAA"],
});

describe("release to a real SMTP server", () => {
  it("delivers to an allowed recipient byte-exact, after the trace header fields", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, device.smtpPort);
    const id = await capture(staging, original);

    const queued = await releases.release(id, { to: ["qa@device.test"] });
    expect(queued).toMatchObject({
      messageId: id,
      recipients: ["qa@device.test"],
      source: "api",
      state: "pending",
    });
    const done = await settled(releases, queued.id, "delivered");
    expect(done.attempts).toHaveLength(1);
    expect(done.attempts[0]).toMatchObject({ status: 250, error: null });
    expect(done.attempts[0]!.response).toMatch(/^250 .*queued as [0-9a-z]{26}/);

    const arrivedId = queuedId(done.attempts[0]!.response!);
    const arrived = (await device.store.get(arrivedId))!;
    expect(arrived.envelope).toMatchObject({ mailFrom: "app@staging.test", rcptTo: ["qa@device.test"] });
    const raw = (await readAll((await device.store.readRaw(arrivedId))!)).toString("utf8");
    expect(raw.endsWith(original)).toBe(true);
    const trace = raw
      .slice(0, raw.length - original.length)
      .split("\r\n")
      .slice(0, -1);
    expect(trace.map((line) => line.split(":")[0])).toEqual([
      "Resent-Date",
      "Resent-From",
      "Resent-To",
      "Resent-Message-ID",
      "X-Mailnest-Released-Message",
      "X-Mailnest-Released-By",
    ]);
    expect(trace).toContain("Resent-To: <qa@device.test>");
    expect(trace).toContain(`X-Mailnest-Released-Message: ${id}`);
    expect(trace).toContain("X-Mailnest-Released-By: api");
    expect(trace).toContain(`Resent-Message-ID: <${queued.id}@mailnest.test>`);
    expect(releases.releases({ messageId: id }).map((release) => release.id)).toEqual([queued.id]);
  });

  it("with credentials in the URL, does not log in over a connection STARTTLS did not protect", async () => {
    const logins: string[] = [];
    const sink = new SMTPServer({
      disabledCommands: ["STARTTLS"],
      authMethods: ["PLAIN", "LOGIN"],
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        logins.push(auth.username ?? "");
        callback(null, { user: auth.username });
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on("end", () => callback());
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => sink.listen(port, "127.0.0.1", resolve));
    cleanup(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const staging = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, port, { query: "", auth: "qa%40device.test:s3cret" });
    const id = await capture(staging, original);

    const queued = await releases.release(id, { to: ["qa@device.test"] });
    const tried = await new Promise<Release>((resolve) => {
      const stop = releases.onReleaseChange((release) => {
        if (release.id === queued.id && release.attempts.length > 0) {
          stop();
          resolve(release);
        }
      });
    });

    expect(tried.attempts[0]!.error).toMatch(/STARTTLS/);
    expect(logins).toEqual([]);
    expect(parseRelayUrl("smtp://u:p@relay.test", []).starttls).toBe("required");
    // Said in the URL, the risk is the operator's to take; without credentials nothing is at stake.
    expect(parseRelayUrl("smtp://u:p@relay.test?starttls=optional", []).starttls).toBe("optional");
    expect(parseRelayUrl("smtp://relay.test", []).starttls).toBe("optional");
  });

  it("refuses a recipient outside --relay-allow, saying so, and queues nothing", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, device.smtpPort);
    const id = await capture(staging, original);
    await expect(
      releases.release(id, { to: ["qa@device.test", "ceo@bigcorp.example"] }),
    ).rejects.toMatchObject({
      name: "RelayRefusedError",
      reason: "recipient_not_allowed",
      parameter: "to",
      message:
        "Not released: ceo@bigcorp.example is not allowed by --relay-allow (*@device.test); Mailnest is never an open relay",
    });
    expect(releases.releases()).toEqual([]);
    await expect(releases.release(id, { to: ["not-an-address"] })).rejects.toMatchObject({
      name: "InvalidReleaseError",
      parameter: "to",
    });
    await expect(releases.release("0".repeat(26), { to: ["qa@device.test"] })).rejects.toMatchObject({
      name: "UnknownReleaseError",
      kind: "message",
    });
    expect(device.store.messageCount).toBe(0);
  });

  it("without --relay nothing is ever released", async () => {
    const staging = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, null);
    const id = await capture(staging, original);
    expect(releases.status()).toEqual({ configured: false, url: null, allow: [] });
    await expect(releases.release(id, { to: ["qa@device.test"] })).rejects.toMatchObject({
      name: "RelayRefusedError",
      reason: "not_configured",
      message: /start Mailnest with --relay/,
    });
    await expect(releases.addRule({ match: "*@staging.test" })).rejects.toMatchObject({
      reason: "not_configured",
    });
  });

  it("while the relay server is down the release is retried, and delivered once it is up", async () => {
    const staging = await startTestSandbox(cleanup);
    const port = await freePort();
    const releases = await openReleases(staging, port);
    const id = await capture(staging, original);
    const queued = await releases.release(id, { to: ["qa@device.test"] });
    const failedTwice = new Promise<void>((resolve) => {
      const stop = releases.onReleaseChange((release) => {
        if (release.attempts.length >= 2) {
          stop();
          resolve();
        }
      });
    });
    await failedTwice;
    const device = await startSandbox(testConfig(await tempDir(cleanup), { smtpPort: port }));
    cleanup(() => device.close());
    const done = await settled(releases, queued.id, "delivered");
    expect(done.attempts.length).toBeGreaterThanOrEqual(3);
    expect(done.attempts[0]).toMatchObject({ status: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(done.attempts.at(-1)).toMatchObject({ status: 250, error: null });
    expect(device.store.messageCount).toBe(1);
  });

  it("a 4xx is retried; a 5xx is dead at once, with the server's answer logged", async () => {
    const staging = await startTestSandbox(cleanup);
    // A relay that answers the scripted codes at end of DATA, then accepts.
    const answers: number[] = [451, 250, 550];
    const relayServer = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, _session, callback) {
        stream.resume();
        stream.on("end", () => {
          const code = answers.shift() ?? 250;
          if (code === 250) callback(null, "Ok: accepted");
          else callback(Object.assign(new Error(`scripted ${code}`), { responseCode: code }));
        });
      },
    });
    await new Promise<void>((resolve) => relayServer.listen(0, "127.0.0.1", resolve));
    cleanup(() => new Promise((resolve) => relayServer.close(() => resolve(undefined))));
    const { port } = relayServer.server.address() as net.AddressInfo;
    const releases = await openReleases(staging, port);
    const id = await capture(staging, original);

    const retried = await settled(
      releases,
      (await releases.release(id, { to: ["qa@device.test"] })).id,
      "delivered",
    );
    expect(retried.attempts.map((attempt) => attempt.status)).toEqual([451, 250]);
    expect(retried.attempts[0]!.error).toMatch(/scripted 451/);

    const dead = await settled(releases, (await releases.release(id, { to: ["qa@device.test"] })).id, "dead");
    expect(dead.attempts.map((attempt) => attempt.status)).toEqual([550]);
    expect(dead.deadReason).toMatch(/^permanent failure: .*scripted 550/);
  });

  it("a pending release survives a restart of the releasing sandbox", async () => {
    const staging = await startTestSandbox(cleanup);
    const port = await freePort();
    const journalDir = await tempDir(cleanup);
    const first = await openReleases(staging, port, { dataDir: journalDir });
    const id = await capture(staging, original);
    const queued = await first.release(id, { to: ["qa@device.test"] });
    await first.close();
    await staging.close();

    const device = await startSandbox(testConfig(await tempDir(cleanup), { smtpPort: port }));
    cleanup(() => device.close());
    const restarted = await startSandbox(testConfig(staging.config.dataDir));
    cleanup(() => restarted.close());
    const again = await openReleases(restarted, port, { dataDir: journalDir });
    expect(again.get(queued.id)).toMatchObject({
      messageId: id,
      state: expect.stringMatching(/pending|delivered/),
    });
    await settled(again, queued.id, "delivered");
    expect(device.store.messageCount).toBe(1);
  });
});

describe("auto-relay rules", () => {
  it("every message to a matching recipient is also released, to the rule's address", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, device.smtpPort);
    const rule = await releases.addRule({ match: "*@staging.test", relayTo: ["qa@device.test"] });
    expect(rule).toMatchObject({ match: "*@staging.test", relayTo: ["qa@device.test"], source: "api" });

    const released = new Promise<Release>((resolve) => {
      releases.onReleaseChange((release) => {
        if (release.state === "delivered") resolve(release);
      });
    });
    const id = await capture(staging, original, "anyone@staging.test");
    await capture(staging, rfc822({ subject: "elsewhere", body: "not released" }), "someone@other.test");
    expect(await released).toMatchObject({
      messageId: id,
      source: "rule",
      ruleId: rule.id,
      recipients: ["qa@device.test"],
    });
    expect(releases.releases()).toHaveLength(1);

    await expect(
      releases.addRule({ match: "*@staging.test", relayTo: ["boss@bigcorp.example"] }),
    ).rejects.toMatchObject({
      reason: "recipient_not_allowed",
      parameter: "relayTo",
    });
    await expect(releases.addRule({ match: "staging.test" })).rejects.toMatchObject({ parameter: "match" });
    await releases.removeRule(rule.id);
    expect(releases.rules()).toEqual([]);
  });

  it("a message another instance stored (origin 'elsewhere', docs/scaling.md) is left to that instance", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const theirs = await capture(staging, original, "theirs@staging.test");
    const releases = await openReleases(staging, device.smtpPort);
    await releases.addRule({ match: "*@staging.test", relayTo: ["qa@device.test"] });

    staging.bus.emit(
      "message.stored",
      { message: (await staging.store.get(theirs))! },
      { origin: "elsewhere" },
    );
    const mine = await capture(staging, original, "mine@staging.test");
    // The auto-relay is queued beside the 250 (its journal write is off the SMTP path): wait for
    // it; the one for "theirs", had it been queued, would have come first.
    await vi.waitFor(() => expect(releases.releases()).not.toHaveLength(0));
    expect(releases.releases().map((release) => release.messageId)).toEqual([mine]);
  });

  it("a recipient a rule matches but --relay-allow refuses gets a dead release saying why, not silence", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, device.smtpPort, { allow: ["*@device.test"] });
    await releases.addRule({ match: "*@*" });
    const dead = new Promise<Release>((resolve) => {
      releases.onReleaseChange((release) => {
        if (release.state === "dead") resolve(release);
      });
    });
    const client = await SmtpTestClient.open(staging.smtpPort);
    cleanup(() => client.destroy());
    const reply = await client.sendMessage({
      from: "app@staging.test",
      to: ["qa@device.test", "bob@example.test"],
      raw: original,
    });
    expect(reply.code).toBe(250);
    await client.quit();

    expect(await dead).toMatchObject({
      recipients: ["bob@example.test"],
      deadReason: "permanent failure: bob@example.test is not allowed by --relay-allow",
    });
    await vi.waitFor(() => expect(device.store.messageCount).toBe(1));
  });

  it("never auto-relays a message that a Mailnest already released (loop guard)", async () => {
    const staging = await startTestSandbox(cleanup);
    const device = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, device.smtpPort, { allow: ["*@staging.test"] });
    await releases.addRule({ match: "*@staging.test" });
    const dead = new Promise<Release>((resolve) => {
      releases.onReleaseChange((release) => {
        if (release.state === "dead") resolve(release);
      });
    });
    await capture(
      staging,
      rfc822({ subject: "came back", body: "x", headers: ["X-Mailnest-Released-Message: 01abc"] }),
      "loop@staging.test",
    );
    expect((await dead).deadReason).toMatch(/loop guard/);
    expect(device.store.messageCount).toBe(0);
  });

  it("--relay-auto rules are recreated from the flags at each start", async () => {
    const staging = await startTestSandbox(cleanup);
    const journalDir = await tempDir(cleanup);
    const first = await openReleases(staging, 9, {
      dataDir: journalDir,
      cliRules: [{ match: "*@staging.test" }, { match: "a@device.test" }],
    });
    const ids = first.rules().map((rule) => rule.id);
    await first.close();
    const second = await openReleases(staging, 9, {
      dataDir: journalDir,
      cliRules: [{ match: "*@staging.test" }],
    });
    expect(second.rules().map((rule) => [rule.id, rule.match, rule.source])).toEqual([
      [ids[0], "*@staging.test", "cli"],
    ]);
  });

  it("rules added and removed by concurrent requests are all kept (the list is saved whole, one change at a time)", async () => {
    const staging = await startTestSandbox(cleanup);
    const releases = await openReleases(staging, 9, { cliRules: [{ match: "keep@device.test" }] });
    const [kept] = releases.rules();
    const added = await Promise.all(
      Array.from({ length: 8 }, (_, i) => releases.addRule({ match: `user${i}@device.test` })),
    );
    await Promise.all([releases.removeRule(added[3]!.id), releases.addRule({ match: "late@device.test" })]);
    expect(releases.rules().map((rule) => rule.match)).toEqual([
      kept!.match,
      ...added.filter((_, i) => i !== 3).map((rule) => rule.match),
      "late@device.test",
    ]);
  });
});

describe("relay configuration", () => {
  it("parses smtp:// and smtps:// URLs, hiding the password", () => {
    const relay = parseRelayUrl("smtps://user%40corp:p%40ss@smtp.example.com?from=qa%40corp.test", []);
    expect(relay).toMatchObject({
      host: "smtp.example.com",
      port: 465,
      secure: true,
      auth: { user: "user@corp", pass: "p@ss" },
      from: "qa@corp.test",
      verifyTls: true,
      displayUrl: "smtps://user%40corp:***@smtp.example.com?from=qa%40corp.test",
    });
    expect(parseRelayUrl("smtp://relay.test:2525?starttls=required&tls_verify=false", [])).toMatchObject({
      port: 2525,
      secure: false,
      starttls: "required",
      verifyTls: false,
      auth: null,
    });
    expect(() => parseRelayUrl("http://relay.test", [])).toThrow(/smtp:\/\/ or smtps:\/\//);
    expect(() => parseRelayUrl("smtp://u:secret@relay.test?verify=no", [])).toThrow(
      /Unknown relay URL parameter "verify"/,
    );
    expect(() => parseRelayUrl("smtp://u:secret@[bad", [])).toThrow(/smtp:\/\/u:\*\*\*@\[bad/);
  });

  it("recipient patterns: * is any run of characters but @, case does not matter", () => {
    const domain = compileRecipientPattern("*@Device.test");
    expect(["qa@device.test", "QA@DEVICE.TEST", "@device.test"].map(domain.matches)).toEqual([
      true,
      true,
      true,
    ]);
    expect(["qa@sub.device.test", "qa@device.test.evil", "a@b@device.test"].map(domain.matches)).toEqual([
      false,
      false,
      false,
    ]);
    expect(compileRecipientPattern("qa+*@corp.test").matches("qa+run42@corp.test")).toBe(true);
    // A % or ! in the local part routes onward on some relays: * does not stand for it.
    expect(["evil%gmail.com@device.test", "host!evil@device.test"].map(domain.matches)).toEqual([
      false,
      false,
    ]);
    expect(compileRecipientPattern("a%b@device.test").matches("a%b@device.test")).toBe(true);
    expect(compileRecipientPattern("*@*.corp.test").matches("x@eu.corp.test")).toBe(true);
    expect(() => compileRecipientPattern("*")).toThrow(/Expected a recipient pattern/);
    expect(() => compileRecipientPattern("a.b(c)@x")).toThrow();
  });
});
