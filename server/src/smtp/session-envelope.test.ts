import type { SMTPServerSession } from "smtp-server";
import { describe, expect, it } from "vitest";
import { toIncomingEnvelope } from "./session-envelope.js";

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
    expect(toIncomingEnvelope(session({ user: "app-user" }), { implicitTls: false })).toEqual({
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
      { implicitTls: false },
    );
    expect(envelope).toMatchObject({ mailFrom: "", heloName: "", authUser: null });
  });

  it("records the TLS protocol and cipher, and whether TLS was implicit", () => {
    const tls = session({
      secure: true,
      tlsOptions: {
        name: "TLS_AES_256_GCM_SHA384",
        standardName: "TLS_AES_256_GCM_SHA384",
        version: "TLSv1.3",
      },
    });
    expect(toIncomingEnvelope(tls, { implicitTls: true }).tls).toEqual({
      protocol: "TLSv1.3",
      cipher: "TLS_AES_256_GCM_SHA384",
      implicit: true,
    });
  });
});
