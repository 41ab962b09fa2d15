const { randomBytes, randomInt } = require("node:crypto");
const http = require("node:http");
const nodemailer = require("nodemailer");

/**
 * The "app under test": a sign-up endpoint that mails a confirmation link, and the page that link
 * opens. Small, but it is what a user's app does: the test only sees its mail and its HTTP answers.
 */
async function startSignupApp({ smtpPort }) {
  const pending = new Map();
  const confirmed = new Set();
  const transport = nodemailer.createTransport({
    host: "127.0.0.1",
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://localhost");
    if (req.method === "POST" && url.pathname === "/signup") {
      const email = url.searchParams.get("email");
      const token = randomBytes(8).toString("hex");
      pending.set(token, email);
      const link = `${baseUrl}/confirm?token=${token}`;
      await transport.sendMail({
        from: "Signup App <noreply@app.test>",
        to: email,
        subject: "Confirm your email address",
        text: `Welcome! Confirm your address: ${link}\n\nYour verification code is ${randomInt(100_000, 1_000_000)}.`,
        html: `<p>Welcome!</p><p><a href="${link}">Confirm your email</a></p><p><a href="${baseUrl}/help">Help</a></p>`,
        headers: { "List-Unsubscribe": `<${baseUrl}/unsubscribe>` },
      });
      res.writeHead(202).end();
      return;
    }
    if (req.method === "GET" && url.pathname === "/confirm") {
      const email = pending.get(url.searchParams.get("token"));
      if (!email) {
        res.writeHead(404, { "content-type": "text/plain" }).end("unknown token");
        return;
      }
      confirmed.add(email);
      res.writeHead(200, { "content-type": "text/html" }).end(`<h1>Email confirmed</h1><p>${email}</p>`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  return {
    baseUrl,
    isConfirmed: (email) => confirmed.has(email),
    async signUp(email) {
      const response = await fetch(`${baseUrl}/signup?email=${encodeURIComponent(email)}`, {
        method: "POST",
      });
      if (response.status !== 202) throw new Error(`sign-up failed: ${response.status}`);
    },
    async close() {
      transport.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

module.exports = { startSignupApp };
