import net from "node:net";
import { describe, expect, it } from "vitest";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

const cleanup = useCleanup();

/**
 * A web page cannot reach the API from another origin (docs/api.md, "Security"), but it can point a
 * form at the SMTP port: port 1025 is not on the browsers' list of blocked ports, and a
 * `text/plain` form body can hold SMTP commands. smtp-server refuses a line that looks like an HTTP
 * request (421) and closes, so nothing in the body is ever read as a command.
 */
function formPost(port: number, waitForGreeting: boolean): Promise<string> {
  const body = [
    "x=1",
    "EHLO evil.example",
    "MAIL FROM:<attacker@evil.example>",
    "RCPT TO:<victim@mailnest.test>",
    "DATA",
    "Subject: forged through a form",
    "",
    "hi",
    ".",
    "QUIT",
    "",
  ].join("\r\n");
  const request = `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    cleanup(() => socket.destroy());
    let received = "";
    socket.setEncoding("latin1");
    if (!waitForGreeting) socket.write(request);
    socket.on("data", (chunk: string) => {
      const greeted = received === "" && chunk.startsWith("220");
      received += chunk;
      if (waitForGreeting && greeted) socket.write(request);
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    setTimeout(
      () => reject(new Error(`still open after 5 s; received ${JSON.stringify(received)}`)),
      5000,
    ).unref();
  });
}

describe("an HTTP request sent to the SMTP port (a cross-site form post)", () => {
  it("is refused with 421 and the connection closed, before or after the greeting; nothing is stored", async () => {
    const sandbox = await startTestSandbox(cleanup);
    for (const waitForGreeting of [false, true]) {
      const transcript = await formPost(sandbox.smtpPort, waitForGreeting);
      const replies = transcript.split("\r\n").filter((line) => line !== "");
      expect({ waitForGreeting, last: replies.at(-1) }).toEqual({
        waitForGreeting,
        last: expect.stringMatching(/^421 /),
      });
      expect(replies.some((line) => line.startsWith("250") || line.startsWith("354"))).toBe(false);
    }
    expect(sandbox.store.messageCount).toBe(0);
  });
});
