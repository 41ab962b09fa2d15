import { describe, expect, it } from "vitest";
import {
  plainMessage,
  sealWithMailauth,
  signWithMailauth,
  verifierOver,
} from "../test-support/deliverability-kit.js";
import { createDkimKey } from "./dkim-keys.js";
import { DnsZone } from "./dns-zone.js";
import { localZoneEditor } from "./zone-editor.js";

/** The sender signs; a mailing list at lists.test adds a footer (breaking DKIM) and seals. */
async function forwardedMessage(zone: DnsZone): Promise<Buffer> {
  const origin = await createDkimKey(localZoneEditor(zone), { domain: "example.test", selector: "s1" });
  const forwarder = await createDkimKey(localZoneEditor(zone), { domain: "lists.test", selector: "arc" });
  const signed = await signWithMailauth(plainMessage({ text: "Hi all\r\n" }), {
    domain: "example.test",
    selector: "s1",
    privateKey: origin.privateKeyPem,
  });
  const withFooter = Buffer.concat([signed, Buffer.from("-- \r\nTo unsubscribe, reply STOP\r\n")]);
  return sealWithMailauth(withFooter, {
    domain: "lists.test",
    selector: "arc",
    privateKey: forwarder.privateKeyPem,
    authResults: "mx.lists.test; dkim=pass header.d=example.test; spf=pass smtp.mailfrom=example.test",
    cv: "none",
  });
}

const FROM_LIST = { ip: "203.0.113.40", helo: "mx.lists.test", mailFrom: "list-bounces@lists.test" };

describe("ARC", () => {
  it("a message sealed by a forwarding hop verifies, though the hop broke the original DKIM signature", async () => {
    const zone = new DnsZone();
    const raw = await forwardedMessage(zone);

    const auth = await verifierOver(zone).verify({ raw, ...FROM_LIST });

    expect(auth.arc).toEqual({
      result: "pass",
      reason: null,
      chain: [{ instance: 1, domain: "lists.test", selector: "arc", cv: "none" }],
    });
    expect(auth.dkim[0]).toMatchObject({ result: "fail", domain: "example.test" });
    expect(auth.authenticationResults).toMatch(/;\r\n arc=pass$/);
  });

  it("a broken seal fails the chain", async () => {
    const zone = new DnsZone();
    const sealed = (await forwardedMessage(zone)).toString();
    // Flip one character of the ARC-Seal's signature.
    const raw = Buffer.from(
      sealed.replace(
        /(ARC-Seal:[\s\S]*?\bb=)([A-Za-z0-9+/])/,
        (_, head: string, first: string) => head + (first === "A" ? "B" : "A"),
      ),
    );
    expect(raw.toString()).not.toBe(sealed);

    const auth = await verifierOver(zone).verify({ raw, ...FROM_LIST });

    expect(auth.arc.result).toBe("fail");
    expect(auth.arc.reason).toMatch(/^the ARC chain did not validate/);
    expect(auth.authenticationResults).toContain("arc=fail (the ARC chain did not validate");
  });

  it("a header the seal covers, changed after sealing, fails the chain", async () => {
    const zone = new DnsZone();
    const raw = Buffer.from(
      (await forwardedMessage(zone)).toString().replace("Subject: Hello", "Subject: Hello again"),
    );

    const auth = await verifierOver(zone).verify({ raw, ...FROM_LIST });

    expect(auth.arc.result).toBe("fail");
  });

  it("a set missing its ARC-Authentication-Results fails, and the verdict still lists the hop", async () => {
    const zone = new DnsZone();
    const sealed = (await forwardedMessage(zone)).toString();
    const raw = Buffer.from(
      sealed.replace(/ARC-Authentication-Results:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*/, ""),
    );
    expect(raw.toString()).not.toContain("ARC-Authentication-Results");

    const auth = await verifierOver(zone).verify({ raw, ...FROM_LIST });

    expect(auth.arc.result).toBe("fail");
    expect(auth.arc.chain).toEqual([{ instance: 1, domain: "lists.test", selector: "arc", cv: "none" }]);
  });

  it("a message without ARC sets says none", async () => {
    const auth = await verifierOver(new DnsZone()).verify({ raw: plainMessage(), ...FROM_LIST });

    expect(auth.arc).toEqual({ result: "none", reason: null, chain: [] });
  });
});
