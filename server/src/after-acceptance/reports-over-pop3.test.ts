import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { mailerFor } from "../test-support/mailer.js";
import { HAS_PYTHON } from "../test-support/python-email.js";
import { messagesIn } from "../test-support/report-kit.js";
import { startTestSandbox, useCleanup } from "../test-support/test-sandbox.js";

/**
 * The way an app's bounce processor reads reports: it logs in to its bounce mailbox over POP3 and
 * parses what it finds. Python's poplib and email package play the app.
 */

const cleanup = useCleanup();
const run = promisify(execFile);

describe("reports fetched over POP3", () => {
  it.skipIf(!HAS_PYTHON)(
    `the app's bounce mailbox holds the DSN, and poplib + email read its per-recipient status${HAS_PYTHON ? "" : " (SKIPPED: python3 is not installed)"}`,
    async () => {
      const sandbox = await startTestSandbox(cleanup, { pop3Port: 0 });
      const transport = mailerFor(cleanup, { port: sandbox.smtpPort });
      await transport.sendMail({
        envelope: { from: "bounces+42@app.test", to: ["bounce@customer.test"] },
        from: "hello@app.test",
        to: "bounce@customer.test",
        subject: "Welcome",
        text: "x",
      });
      await messagesIn(sandbox, "bounces+42@app.test", 1);

      const script = `
import email, email.policy, json, poplib, sys
pop = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=10)
pop.user("bounces+42@app.test"); pop.pass_("anything")
count, _ = pop.stat()
found = []
for number in range(1, count + 1):
    raw = b"\\r\\n".join(pop.retr(number)[1]) + b"\\r\\n"
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_type() != "multipart/report":
        continue
    status = next(part for part in msg.iter_parts() if part.get_content_type() == "message/delivery-status")
    groups = status.get_payload()
    found.append({"recipient": str(groups[1]["Final-Recipient"]), "status": str(groups[1]["Status"])})
pop.quit()
print(json.dumps({"count": count, "reports": found}))
`;
      const { stdout } = await run("python3", ["-c", script, String(sandbox.pop3Port)], { timeout: 20_000 });
      expect(JSON.parse(stdout)).toEqual({
        count: 1,
        reports: [{ recipient: "rfc822; bounce@customer.test", status: "5.1.1" }],
      });
    },
  );
});
