import { randomBytes } from "node:crypto";

/**
 * Builds benchmark messages once and reuses their bodies: per message only a few header lines
 * change, so the load generator spends its CPU on sockets, not on making mail.
 *
 * Every line produced here is CRLF-terminated and none starts with ".", so no dot-stuffing is needed.
 */
export interface MessageTemplate {
  /** What the workload table calls it, e.g. "2 KB". */
  label: string;
  /** Raw size in bytes of one message, as the server will store it. */
  approximateSize: number;
  /** The message's DATA content, as buffers to write in order. */
  render(index: number, to: string): Buffer[];
}

const RUN_ID = randomBytes(4).toString("hex");
const WORDS =
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua".split(
    " ",
  );

function headers(index: number, to: string, subject: string, contentType: string): string {
  return (
    "From: Bench Sender <sender@bench.localhost>\r\n" +
    `To: <${to}>\r\n` +
    `Subject: ${subject} ${index}\r\n` +
    `Message-ID: <${index}.${RUN_ID}@bench.localhost>\r\n` +
    "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n" +
    "MIME-Version: 1.0\r\n" +
    `Content-Type: ${contentType}\r\n` +
    "\r\n"
  );
}

/** Plain text of about `bytes` bytes in 76-character lines. */
function textBody(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  let offset = 0;
  while (size < bytes) {
    let line = "";
    while (line.length < 74) {
      const word = WORDS[offset % WORDS.length] ?? "x";
      line += `${word} `;
      offset += 1;
    }
    lines.push(line.trimEnd());
    size += line.trimEnd().length + 2;
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1");
}

/** Base64 in 76-character lines, the way mail clients wrap attachments. */
function base64Lines(content: Buffer): string {
  const encoded = content.toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return `${lines.join("\r\n")}\r\n`;
}

/** A plain-text message of about `size` raw bytes (2 KB in the reference workloads). */
/** `subject` is followed by the message's index ("bench text 17"). */
export function textMessage(size: number, subject = "bench text"): MessageTemplate {
  const sampleHeaders = headers(0, "bench-000@mailnest.test", subject, "text/plain; charset=utf-8");
  const body = textBody(Math.max(64, size - sampleHeaders.length));
  return {
    label: `${Math.round(size / 1024)} KB text`,
    approximateSize: sampleHeaders.length + body.length,
    render: (index, to) => [
      Buffer.from(headers(index, to, subject, "text/plain; charset=utf-8"), "latin1"),
      body,
    ],
  };
}

/**
 * A multipart message with a short text part and one binary attachment of `attachmentBytes`
 * (decoded); random content, so nothing compresses or deduplicates it.
 */
export function attachmentMessage(attachmentBytes: number, label: string): MessageTemplate {
  const boundary = `bench-${RUN_ID}`;
  const body = Buffer.from(
    `--${boundary}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
      "See the attached file.\r\n" +
      `--${boundary}\r\n` +
      "Content-Type: application/octet-stream\r\n" +
      'Content-Disposition: attachment; filename="payload.bin"\r\n' +
      "Content-Transfer-Encoding: base64\r\n\r\n" +
      base64Lines(randomBytes(attachmentBytes)) +
      `--${boundary}--\r\n`,
    "latin1",
  );
  const contentType = `multipart/mixed; boundary="${boundary}"`;
  return {
    label,
    approximateSize:
      headers(0, "bench-000@mailnest.test", "bench attachment", contentType).length + body.length,
    render: (index, to) => [Buffer.from(headers(index, to, "bench attachment", contentType), "latin1"), body],
  };
}

/** An attachment message whose raw size is about `rawBytes` (base64 inflates content by 4/3 plus line ends). */
export function messageOfRawSize(rawBytes: number, label: string): MessageTemplate {
  const overhead = 1024;
  const decoded = Math.floor(((rawBytes - overhead) * 76) / 78 / 4) * 3;
  return attachmentMessage(decoded, label);
}
