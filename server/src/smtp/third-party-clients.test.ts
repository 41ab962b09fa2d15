import { execFile, spawnSync } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../sandbox.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * Mailnest against SMTP clients that are not nodemailer: swaks (Perl, IO::Socket::SSL) and
 * Python's smtplib, each doing STARTTLS with certificate verification and then AUTH, the way a
 * staging app would. A client that is not installed is skipped, saying so (CI installs swaks).
 */

const cleanup = useCleanup();
const run = promisify(execFile);

function installed(command: string, versionFlag: string): boolean {
  return spawnSync(command, [versionFlag], { stdio: "ignore" }).status === 0;
}

const HAS_SWAKS = installed("swaks", "--version");
const HAS_PYTHON = installed("python3", "--version");
const skipped = (client: string, missing: boolean) =>
  missing ? ` (SKIPPED: ${client} is not installed on this machine)` : "";

const USERS = new Map([["staging-app", "s3cret:with-colon"]]);

async function stagingSandbox(): Promise<Sandbox & { dataDir: string; caFile: string }> {
  const sandbox = await startTestSandbox(cleanup, { starttls: true, smtpsPort: 0, smtpUsers: USERS });
  return Object.assign(sandbox, { caFile: path.join(sandbox.dataDir, "tls", "cert.pem") });
}

async function onlyMessage(sandbox: Sandbox, inbox: string) {
  const { messages } = await sandbox.store.list({ limit: 10, inbox });
  expect(messages).toHaveLength(1);
  return sandbox.store.get(messages[0]?.id ?? "");
}

describe("swaks", () => {
  const swaks = (args: string[]) =>
    run("swaks", ["--server", ...args, "--timeout", "10"], { timeout: 20_000 });

  it.skipIf(!HAS_SWAKS)(
    `STARTTLS with --tls-verify against the generated certificate, then AUTH PLAIN: stored with tls and authUser${skipped("swaks", !HAS_SWAKS)}`,
    async () => {
      const sandbox = await stagingSandbox();
      await swaks([
        `127.0.0.1:${sandbox.smtpPort}`,
        "--from",
        "app@example.test",
        "--to",
        "swaks@mailnest.test",
        "--header",
        "Subject: from swaks",
        "--tls",
        "--tls-verify",
        "--tls-ca-path",
        sandbox.caFile,
        "--auth",
        "PLAIN",
        "--auth-user",
        "staging-app",
        "--auth-password",
        "s3cret:with-colon",
      ]);

      const message = await onlyMessage(sandbox, "swaks@mailnest.test");
      expect(message).toMatchObject({ subject: "from swaks", authUser: "staging-app", tls: true });
      expect(message?.envelope.tls).toMatchObject({
        implicit: false,
        protocol: expect.stringMatching(/^TLSv1\.[23]$/),
      });
    },
  );

  it.skipIf(!HAS_SWAKS)(
    `implicit TLS (--tls-on-connect) with AUTH CRAM-MD5; a wrong password fails with 535${skipped("swaks", !HAS_SWAKS)}`,
    async () => {
      const sandbox = await stagingSandbox();
      const common = ["--from", "app@example.test", "--to", "swaks-465@mailnest.test", "--tls-on-connect"];
      await swaks([
        `127.0.0.1:${sandbox.smtpsPort}`,
        ...common,
        "--auth",
        "CRAM-MD5",
        "--auth-user",
        "staging-app",
        "--auth-password",
        "s3cret:with-colon",
      ]);
      expect(await onlyMessage(sandbox, "swaks-465@mailnest.test")).toMatchObject({
        authUser: "staging-app",
        envelope: { tls: { implicit: true } },
      });

      const failure = await swaks([
        `127.0.0.1:${sandbox.smtpsPort}`,
        ...common,
        "--auth",
        "LOGIN",
        "--auth-user",
        "staging-app",
        "--auth-password",
        "wrong",
      ]).catch((error: { code?: number; stdout?: string }) => error);
      expect(failure).toMatchObject({ code: expect.any(Number) });
      expect((failure as { stdout: string }).stdout).toMatch(/<~\*? *535 5\.7\.8/);
    },
  );
});

const PYTHON_CLIENT = `
import os, smtplib, ssl, sys
from email.message import EmailMessage

context = ssl.create_default_context(cafile=os.environ["CA_FILE"])
message = EmailMessage()
message["From"] = "app@example.test"
message["To"] = os.environ["TO"]
message["Subject"] = "from smtplib"
message.set_content("Sent by Python's smtplib.")
port = int(os.environ["PORT"])
try:
    if os.environ["MODE"] == "implicit":
        client = smtplib.SMTP_SSL("127.0.0.1", port, context=context, timeout=10)
    else:
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
        client.starttls(context=context)
    with client:
        client.login(os.environ["SMTP_USER"], os.environ["SMTP_PASSWORD"])
        client.send_message(message)
except smtplib.SMTPAuthenticationError as error:
    print(f"auth refused {error.smtp_code}")
    sys.exit(3)
`;

describe("Python smtplib", () => {
  const python = (env: Record<string, string>) =>
    run("python3", ["-c", PYTHON_CLIENT], { env: { ...process.env, ...env }, timeout: 20_000 });

  it.skipIf(!HAS_PYTHON)(
    `starttls() with a verifying context, then login() (CRAM-MD5, smtplib's first choice): stored with tls and authUser${skipped("python3", !HAS_PYTHON)}`,
    async () => {
      const sandbox = await stagingSandbox();
      await python({
        MODE: "starttls",
        PORT: String(sandbox.smtpPort),
        CA_FILE: sandbox.caFile,
        TO: "python@mailnest.test",
        SMTP_USER: "staging-app",
        SMTP_PASSWORD: "s3cret:with-colon",
      });

      const message = await onlyMessage(sandbox, "python@mailnest.test");
      expect(message).toMatchObject({ subject: "from smtplib", authUser: "staging-app", tls: true });
      expect(message?.envelope.tls).toMatchObject({ implicit: false });
    },
  );

  it.skipIf(!HAS_PYTHON)(
    `SMTP_SSL on the implicit-TLS port; a wrong password is refused with 535${skipped("python3", !HAS_PYTHON)}`,
    async () => {
      const sandbox = await stagingSandbox();
      const env = {
        MODE: "implicit",
        PORT: String(sandbox.smtpsPort),
        CA_FILE: sandbox.caFile,
        TO: "python-465@mailnest.test",
      };
      await python({ ...env, SMTP_USER: "staging-app", SMTP_PASSWORD: "s3cret:with-colon" });
      expect(await onlyMessage(sandbox, "python-465@mailnest.test")).toMatchObject({
        envelope: { tls: { implicit: true } },
      });

      const failure = await python({ ...env, SMTP_USER: "staging-app", SMTP_PASSWORD: "wrong" }).catch(
        (error: { code?: number; stdout?: string }) => error,
      );
      expect(failure).toMatchObject({ code: 3, stdout: "auth refused 535\n" });
    },
  );
});
