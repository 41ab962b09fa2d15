import {
  defineConfig,
  type MailnestConfig,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from "@mailnest/server";
import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer/index.js";
import { Mailnest, type MailnestOptions } from "../../src/index.js";

export interface TestServer {
  sandbox: Sandbox;
  /** A client for this server, with a short default timeout so a broken test fails fast. */
  mail: Mailnest;
  client(options?: MailnestOptions): Mailnest;
  /** Sends through the server's SMTP port; resolves once the server has stored the message (250). */
  send(message: Mail.Options): Promise<void>;
  close(): Promise<void>;
}

/** A real Mailnest in memory on free loopback ports, and nodemailer pointed at it. */
export async function startTestServer(
  overrides: Partial<MailnestConfig> = {},
  options: SandboxOptions & { pool?: boolean } = {},
): Promise<TestServer> {
  const { pool = false, ...sandboxOptions } = options;
  const sandbox = await startSandbox(
    defineConfig({ host: "127.0.0.1", smtpPort: 0, httpPort: 0, dataDir: null, quiet: true, ...overrides }),
    sandboxOptions,
  );
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: sandbox.smtpPort,
    secure: false,
    ignoreTLS: true,
    // One reused connection per message in flight: loops of a thousand sends stay fast.
    ...(pool ? { pool: true, maxConnections: 2 } : {}),
  });
  const client = (options: MailnestOptions = {}) =>
    new Mailnest({ url: sandbox.url, timeout: 5_000, token: overrides.apiToken ?? null, ...options });
  return {
    sandbox,
    mail: client(),
    client,
    async send(message) {
      await transport.sendMail({ from: "The App <noreply@app.test>", ...message });
    },
    async close() {
      transport.close();
      await sandbox.close();
    },
  };
}
