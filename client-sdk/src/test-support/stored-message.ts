import type { StoredMessage } from "@mailnest/protocol";
import { visibleText } from "@mailnest/server";
import { HttpClient } from "../http/http-client.js";
import { Message } from "../message/message.js";

let nextSequence = 1;

/** A full message as the server would send it, with whatever a test overrides. */
export function storedMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  const sequence = overrides.sequence ?? nextSequence++;
  const base: StoredMessage = {
    id: `01hzzzzzzzzzzzzzzzzzzz${String(sequence).padStart(4, "0")}`,
    sequence,
    inboxes: ["ada@mailnest.test"],
    mailFrom: "bounce@app.test",
    rcptTo: ["ada@mailnest.test"],
    messageId: `<${sequence}@app.test>`,
    subject: "Welcome to the app",
    from: [{ name: "The App", address: "noreply@app.test" }],
    to: [{ name: "Ada", address: "ada@mailnest.test" }],
    cc: [],
    date: "2024-05-01T12:00:00.000Z",
    receivedAt: "2024-05-01T12:00:01.000Z",
    receivedTime: Date.parse("2024-05-01T12:00:01.000Z"),
    duplicateOf: null,
    size: 1234,
    sha256: "0".repeat(64),
    attachmentCount: 0,
    authUser: null,
    tls: false,
    read: false,
    snippet: "",
    parseError: null,
    envelope: {
      mailFrom: "bounce@app.test",
      rcptTo: ["ada@mailnest.test"],
      remoteAddress: "127.0.0.1",
      heloName: "localhost",
      authUser: null,
      tls: null,
      receivedAt: "2024-05-01T12:00:01.000Z",
    },
    headers: [
      { name: "From", value: "The App <noreply@app.test>" },
      { name: "To", value: "Ada <ada@mailnest.test>" },
      { name: "Subject", value: "Welcome to the app" },
    ],
    bcc: [],
    replyTo: [],
    text: "Hello Ada",
    html: null,
    visibleText: "Hello Ada",
    attachments: [],
    links: [],
  };
  // The server computes visibleText when it parses a message: use its own rule, so a hand-made
  // message says what a received one would.
  const message = { ...base, ...overrides };
  return { ...message, visibleText: overrides.visibleText ?? visibleText(message.text, message.html) };
}

/** No test here talks to it: `raw()` and attachment contents are covered by the integration tests. */
const offline = new HttpClient({ url: "http://127.0.0.1:9", token: null, requestTimeout: 1000 });

export function message(overrides: Partial<StoredMessage> = {}): Message {
  return new Message(storedMessage(overrides), offline);
}
