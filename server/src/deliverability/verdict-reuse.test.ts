import type { MessageAuthentication } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { plainMessage, signWithMailauth, verifierOver, zoneOf } from "../test-support/deliverability-kit.js";
import { generateDkimKeyPair } from "./dkim-keys.js";
import type { DnsZone } from "./dns-zone.js";
import type { MessageVerifier, VerificationInput } from "./message-verifier.js";
import { reuseKey, reusingVerdicts } from "./verdict-reuse.js";

/** example.test allows 192.0.2.0/24 and publishes DMARC p=reject; other.test has no records. */
function labZone(): DnsZone {
  return zoneOf(`
$ORIGIN example.test.
@       TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT "v=DMARC1; p=reject"
`);
}

/** The real verifier over `zone`, counting the verifications it runs. */
function counted(zone: DnsZone, mode: "zone" | "zone-then-system" = "zone") {
  const inner = verifierOver(zone, { mode });
  const counter = {
    calls: 0,
    verifier: {
      resolver: inner.resolver,
      verify(input: VerificationInput) {
        counter.calls += 1;
        return inner.verify(input);
      },
    } satisfies MessageVerifier,
  };
  return counter;
}

const ENVELOPE = { ip: "192.0.2.10", helo: "mail.example.test", mailFrom: "app@example.test" };

function message(subject: string, from = "App <app@example.test>"): Buffer {
  return plainMessage({ from, subject, headers: { "Message-ID": `<${subject}@example.test>` } });
}

/** A verdict without the one field that is measured per call. */
function verdictOf(auth: MessageAuthentication): Omit<MessageAuthentication, "durationMs"> {
  const { durationMs: _, ...rest } = auth;
  return rest;
}

describe("reusingVerdicts", () => {
  it("verifies an envelope once and answers later messages with mailauth's own verdict", async () => {
    const zone = labZone();
    const counter = counted(zone);
    const verifier = reusingVerdicts(counter.verifier, zone);

    const first = await verifier.verify({ raw: message("first"), ...ENVELOPE });
    const second = await verifier.verify({ raw: message("second, other body and headers"), ...ENVELOPE });

    expect(counter.calls).toBe(1);
    expect(first.spf.result).toBe("pass");
    expect(first.dmarc.result).toBe("pass");
    // What a verification of the second message without reuse says, lookups included.
    const fresh = await verifierOver(zone).verify({
      raw: message("second, other body and headers"),
      ...ENVELOPE,
    });
    expect(verdictOf(second)).toEqual(verdictOf(fresh));
    expect(second.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("verifies again when the IP, HELO, MAIL FROM or From differ, each with its own verdict", async () => {
    const zone = labZone();
    const counter = counted(zone);
    const verifier = reusingVerdicts(counter.verifier, zone);
    await verifier.verify({ raw: message("a"), ...ENVELOPE });

    const outsider = await verifier.verify({ raw: message("b"), ...ENVELOPE, ip: "203.0.113.5" });
    await verifier.verify({ raw: message("c"), ...ENVELOPE, helo: "other.example.test" });
    const bounce = await verifier.verify({ raw: message("d"), ...ENVELOPE, mailFrom: "" });
    const otherFrom = await verifier.verify({ raw: message("e", "someone@other.test"), ...ENVELOPE });

    expect(counter.calls).toBe(5);
    expect(outsider.spf.result).toBe("fail");
    expect(outsider.dmarc.result).toBe("fail");
    expect(bounce.spf.domain).toBe("mail.example.test");
    expect(otherFrom.dmarc.result).toBe("none");
    // And each of them is reused in turn.
    await verifier.verify({ raw: message("f"), ...ENVELOPE, ip: "203.0.113.5" });
    expect(counter.calls).toBe(5);
  });

  it("never reuses the verdicts of a message with a DKIM-Signature or an ARC field", async () => {
    const zone = labZone();
    const key = await generateDkimKeyPair("rsa");
    zone.add({ name: "s1._domainkey.example.test", type: "TXT", value: key.record });
    const counter = counted(zone);
    const verifier = reusingVerdicts(counter.verifier, zone);
    const signed = await signWithMailauth(message("signed"), {
      domain: "example.test",
      selector: "s1",
      privateKey: key.privateKeyPem,
    });

    const verdicts = [
      await verifier.verify({ raw: signed, ...ENVELOPE }),
      await verifier.verify({ raw: signed, ...ENVELOPE }),
    ];
    const sealed = plainMessage({
      headers: { "ARC-Seal": "i=1; a=rsa-sha256; cv=none; d=example.test; s=s1; b=" },
    });
    await verifier.verify({ raw: sealed, ...ENVELOPE });
    await verifier.verify({ raw: sealed, ...ENVELOPE });

    expect(counter.calls).toBe(4);
    expect(verdicts.map((auth) => auth.dkim[0]?.result)).toEqual(["pass", "pass"]);
  });

  it("forgets every verdict when the zone changes", async () => {
    const zone = zoneOf("");
    const counter = counted(zone);
    const verifier = reusingVerdicts(counter.verifier, zone);
    expect((await verifier.verify({ raw: message("before"), ...ENVELOPE })).spf.result).toBe("none");

    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    expect((await verifier.verify({ raw: message("after"), ...ENVELOPE })).spf.result).toBe("pass");
    zone.clear();
    expect((await verifier.verify({ raw: message("cleared"), ...ENVELOPE })).spf.result).toBe("none");
    expect(counter.calls).toBe(3);
  });

  it("does not keep a verdict whose verification began before a zone change", async () => {
    const zone = zoneOf("");
    const counter = counted(zone);
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let verified = () => {};
    const done = new Promise<void>((resolve) => {
      verified = resolve;
    });
    const verifier = reusingVerdicts(
      {
        resolver: counter.verifier.resolver,
        verify: async (input) => {
          // Verified against the zone as it was; answered only after the zone changed.
          const verdict = await counter.verifier.verify(input);
          verified();
          await gate;
          return verdict;
        },
      },
      zone,
    );
    const straddling = verifier.verify({ raw: message("straddling"), ...ENVELOPE });
    await done;
    zone.add({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    release();
    expect((await straddling).spf.result).toBe("none");

    expect((await verifier.verify({ raw: message("next"), ...ENVELOPE })).spf.result).toBe("pass");
    expect(counter.calls).toBe(2);
  });

  it("keeps nothing outside zone mode, nor a temperror, nor a verdict read through an SPF %{t} macro", async () => {
    const mixed = counted(labZone(), "zone-then-system");
    const overSystem = reusingVerdicts(mixed.verifier, labZone());
    await overSystem.verify({ raw: message("a"), ...ENVELOPE });
    await overSystem.verify({ raw: message("b"), ...ENVELOPE });
    expect(mixed.calls).toBe(2);

    const zone = labZone();
    let calls = 0;
    const timingOut = reusingVerdicts(
      {
        resolver: verifierOver(zone).resolver,
        verify: async (input) => {
          calls += 1;
          const verdict = await verifierOver(zone).verify(input);
          return { ...verdict, spf: { ...verdict.spf, result: "temperror" } };
        },
      },
      zone,
    );
    await timingOut.verify({ raw: message("a"), ...ENVELOPE });
    await timingOut.verify({ raw: message("b"), ...ENVELOPE });
    expect(calls).toBe(2);

    const macroZone = zoneOf(
      `example.test. TXT "v=spf1 exists:%{t}.%{i}.time.example.test ip4:192.0.2.0/24 -all"`,
    );
    const macro = counted(macroZone);
    const overMacro = reusingVerdicts(macro.verifier, macroZone);
    await overMacro.verify({ raw: message("a"), ...ENVELOPE });
    await overMacro.verify({ raw: message("b"), ...ENVELOPE });
    expect(macro.calls).toBe(2);
  });

  it("keeps the most recently used envelopes up to its capacity", async () => {
    const zone = labZone();
    const counter = counted(zone);
    const verifier = reusingVerdicts(counter.verifier, zone, 2);
    const from = (ip: string) => verifier.verify({ raw: message(ip), ...ENVELOPE, ip });

    await from("192.0.2.1");
    await from("192.0.2.2");
    await from("192.0.2.1"); // reused, and now the most recent
    await from("192.0.2.3"); // evicts .2
    expect(counter.calls).toBe(3);
    await from("192.0.2.1");
    await from("192.0.2.2");
    expect(counter.calls).toBe(4);
  });

  it("hands out verdicts whose parts no reader can change for another message", async () => {
    const zone = labZone();
    const verifier = reusingVerdicts(counted(zone).verifier, zone);
    await verifier.verify({ raw: message("a"), ...ENVELOPE });
    const reused = await verifier.verify({ raw: message("b"), ...ENVELOPE });

    expect(() => {
      (reused.spf as { result: string }).result = "fail";
    }).toThrow(TypeError);
    expect((await verifier.verify({ raw: message("c"), ...ENVELOPE })).spf.result).toBe("pass");
  });
});

describe("reuseKey", () => {
  const key = (raw: string) => reuseKey({ raw: Buffer.from(raw, "latin1"), ...ENVELOPE });

  it("reads the envelope and the From fields, nothing else of the message", () => {
    const a = key("From: a@example.test\r\nSubject: one\r\n\r\nbody one");
    expect(a).toBe(key("Subject: two\r\nFrom: a@example.test\r\nX-Other: x\r\n\r\nbody two"));
    expect(a).not.toBe(key("From: b@example.test\r\nSubject: one\r\n\r\nbody one"));
    expect(a).not.toBe(key("From: a@example.test\r\nFrom: b@example.test\r\n\r\n"));
    // A continuation line belongs to its field: the From it continues, or another.
    const folded = key("From:\r\n a@example.test\r\nSubject: x\r\n\r\n");
    expect(folded).not.toBeNull();
    expect(folded).not.toBe(key("From:\r\n b@example.test\r\nSubject: x\r\n\r\n"));
    expect(folded).toBe(key("From:\r\n a@example.test\r\nSubject: x\r\n y\r\n\r\n"));
  });

  it("refuses a header section another parser might read differently", () => {
    expect(key("From: a@example.test\r\n\r\nbody")).not.toBeNull();
    expect(key("From: a@example.test\n\nbody")).toBeNull();
    expect(key("From: a@example.test\r\nSubject: a\rb\r\n\r\nbody")).toBeNull();
    expect(key("From: a@example.test\r\nno colon here\r\n\r\nbody")).toBeNull();
    expect(key("From: a@example.test\r\nBad Name: x\r\n\r\nbody")).toBeNull();
    expect(key("From: a@example.test")).toBeNull();
    expect(key(" leading: continuation\r\nFrom: a@example.test\r\n\r\n")).toBeNull();
    expect(key("From: a@example.test\r\nDKIM-Signature: v=1\r\n\r\n")).toBeNull();
    expect(key("From: a@example.test\r\narc-seal: i=1\r\n\r\n")).toBeNull();
  });
});
