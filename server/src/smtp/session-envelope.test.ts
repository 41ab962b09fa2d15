import type { SMTPServerSession } from "smtp-server";
import { describe, expect, it } from "vitest";
import { toFaultEnvelope, toIncomingEnvelope } from "./session-envelope.js";

function session(overrides: Partial<SMTPServerSession>): SMTPServerSession {
  return {
    id: "s1",
    localAddress: "127.0.0.1",
    localPort: 1025,
    remoteAddress: "127.0.0.5",
    remotePort: 50000,
    clientHostname: "[127.0.0.5]",
    openingCommand: "EHLO",
    hostNameAppearsAs: "app.example.test",
    envelope: {
      mailFrom: { address: "from@example.test", args: false },
      rcptTo: [
        { address: "b@example.test", args: false },
        { address: "a@example.test", args: false },
      ],
    },
    secure: false,
    transmissionType: "ESMTP",
    tlsOptions: false,
    xClient: new Map(),
    xForward: new Map(),
    transaction: 1,
    ...overrides,
  };
}

describe("toIncomingEnvelope", () => {
  it("takes MAIL FROM, the RCPT TOs in order, the client address, HELO name and auth user", () => {
    expect(toIncomingEnvelope(session({ user: "app-user" }), null)).toEqual({
      mailFrom: "from@example.test",
      rcptTo: ["b@example.test", "a@example.test"],
      remoteAddress: "127.0.0.5",
      heloName: "app.example.test",
      authUser: "app-user",
      tls: null,
    });
  });

  it("reads the null sender as an empty string and a missing HELO or AUTH as empty", () => {
    const envelope = toIncomingEnvelope(
      session({
        envelope: { mailFrom: false, rcptTo: [] },
        hostNameAppearsAs: false as unknown as string, // what smtp-server really keeps before HELO
      }),
      null,
    );
    expect(envelope).toMatchObject({ mailFrom: "", heloName: "", authUser: null });
  });

  it("carries the TLS session it is given", () => {
    const tls = { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", implicit: true };
    expect(toIncomingEnvelope(session({ secure: true }), tls).tls).toEqual(tls);
  });
});

describe("toFaultEnvelope", () => {
  it("is the envelope so far, with what the client is offering right now", () => {
    expect(toFaultEnvelope(session({ user: "u1", secure: true }), { recipient: "c@example.test" })).toEqual({
      remoteAddress: "127.0.0.5",
      heloName: "app.example.test",
      mailFrom: "from@example.test",
      rcptTo: ["b@example.test", "a@example.test"],
      recipient: "c@example.test",
      authUser: "u1",
      tls: true,
    });
  });

  it("has no sender before MAIL FROM, and takes the one being offered at MAIL FROM", () => {
    const fresh = session({ envelope: { mailFrom: false, rcptTo: [] } });
    expect(toFaultEnvelope(fresh)).toMatchObject({ mailFrom: null, rcptTo: [], recipient: null });
    expect(toFaultEnvelope(fresh, { mailFrom: "x@example.test" }).mailFrom).toBe("x@example.test");
  });
});
