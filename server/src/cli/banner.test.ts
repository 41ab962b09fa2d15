import { describe, expect, it } from "vitest";
import { defineConfig } from "../config.js";
import { type BannerFacts, startupBanner } from "./banner.js";

function facts(host: string, url: string): BannerFacts {
  return {
    config: defineConfig({ host, dataDir: "/srv/mail", webRoot: "/srv/web" }),
    url,
    tls: null,
    smtpPort: 1025,
    smtpsPort: null,
    pop3Port: 1110,
    pop3sPort: null,
    imapPort: null,
    imapsPort: null,
  };
}

describe("startupBanner", () => {
  it("with a wildcard --host, every URL names loopback and one line says that every interface listens", () => {
    const lines = startupBanner(facts("0.0.0.0", "http://127.0.0.1:8025"), "9.9.9");
    expect(lines).toContain("  SMTP      smtp://127.0.0.1:1025 (plain, no STARTTLS)");
    expect(lines).toContain("  POP3      pop3://127.0.0.1:1110 (plain, no STLS)");
    expect(lines).toContain("  Web + API http://127.0.0.1:8025");
    expect(lines.filter((line) => line.includes("every interface"))).toEqual([
      "  Listening on every interface (--host 0.0.0.0); the URLs below work from this machine, other hosts use one of its addresses",
    ]);
    expect(lines.join("\n")).not.toContain("0.0.0.0:");
  });

  it("the IPv6 wildcard is reached as [::1], and a named host is printed as it was given", () => {
    expect(startupBanner(facts("::", "http://[::1]:8025"), "9.9.9")).toContain(
      "  SMTP      smtp://[::1]:1025 (plain, no STARTTLS)",
    );
    const named = startupBanner(facts("::1", "http://[::1]:8025"), "9.9.9");
    expect(named).toContain("  SMTP      smtp://[::1]:1025 (plain, no STARTTLS)");
    expect(named.join("\n")).not.toContain("every interface");
  });
});
