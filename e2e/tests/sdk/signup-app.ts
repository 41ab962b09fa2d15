import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import nodemailer from "nodemailer";

export interface SignupApp {
  url: string;
  close(): Promise<void>;
}

/**
 * The "app under test" of the SDK examples: a sign-up form that mails a confirmation link, and the
 * page that link opens. It knows nothing of Mailnest except the SMTP port it sends to, like a
 * real app configured for a test environment.
 */
export async function startSignupApp(smtpPort: number): Promise<SignupApp> {
  const pending = new Map<string, string>();
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  let baseUrl = "";

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", baseUrl);
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(
        '<form method="post" action="/signup"><label>Email <input name="email" type="email"></label>' +
          "<button>Sign up</button></form>",
      );
      return;
    }
    if (req.method === "POST" && url.pathname === "/signup") {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", async () => {
        const email = new URLSearchParams(body).get("email") ?? "";
        const token = randomBytes(12).toString("hex");
        pending.set(token, email);
        const link = `${baseUrl}/confirm?token=${token}`;
        await transport.sendMail({
          from: "Signup App <noreply@app.test>",
          to: email,
          subject: "Confirm your email address",
          text: `Welcome! Confirm your address: ${link}`,
          html: `<p>Welcome!</p><p><a href="${link}">Confirm your email</a></p><p><a href="${baseUrl}/help">Help</a></p>`,
        });
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end("<h1>Check your inbox</h1>");
      });
      return;
    }
    if (req.method === "GET" && url.pathname === "/confirm") {
      const email = pending.get(url.searchParams.get("token") ?? "");
      res.writeHead(email ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
      res.end(email ? `<h1>Email confirmed</h1><p id="email">${email}</p>` : "<h1>Unknown link</h1>");
      return;
    }
    res.writeHead(404).end();
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    async close() {
      transport.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
