import net from "node:net";
import { mailnestSmtpPort } from "./sandbox-env.js";

/**
 * One SMTP transaction over a bare socket, for envelopes a mail library would rewrite (nodemailer
 * reparses addresses and drops `<`, `>` from a quoted local part). Resolves with the reply to the
 * final dot; rejects with the first reply that is not what the step expects.
 */
export async function sendRawSmtp(
  envelope: { from: string; to: string[] },
  message: string,
  port: number = mailnestSmtpPort(),
): Promise<string> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.setEncoding("utf8");
  let buffered = "";
  const waiting: Array<(line: string) => void> = [];
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let end = buffered.indexOf("\r\n");
    while (end !== -1) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      // Multi-line replies ("250-...") end with the line whose fourth character is a space.
      if (line.charAt(3) !== "-") waiting.shift()?.(line);
      end = buffered.indexOf("\r\n");
    }
  });
  const closed = new Promise<never>((_, reject) => {
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("the SMTP server closed the connection")));
  });
  const reply = () => Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), closed]);
  const step = async (line: string | null, expected: number) => {
    const answer = reply();
    if (line !== null) socket.write(`${line}\r\n`);
    const text = await answer;
    if (!text.startsWith(String(expected))) throw new Error(`${line ?? "greeting"} → ${text}`);
    return text;
  };
  try {
    await step(null, 220);
    await step("EHLO e2e.test", 250);
    await step(`MAIL FROM:<${envelope.from}>`, 250);
    for (const recipient of envelope.to) await step(`RCPT TO:<${recipient}>`, 250);
    await step("DATA", 354);
    const body = message.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
    return await step(`${body}\r\n.`, 250);
  } finally {
    socket.end();
    closed.catch(() => {});
  }
}
