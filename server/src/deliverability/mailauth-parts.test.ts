import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";

/**
 * Runs `mailauth-parts.ts` in a thread of its own (its own CommonJS module cache, as a verification
 * thread has), verifies a signed message, an ARC chain and an SPF record through it, and reports
 * which of mailauth's files and dependencies that loaded.
 */
async function filesLoadedByVerifying(): Promise<{ loaded: string[]; results: string[] }> {
  const parts = new URL("./mailauth-parts.ts", import.meta.url).href;
  const code = `
    import { register } from "tsx/esm/api";
    register();
    const { createRequire } = await import("node:module");
    const { parentPort } = await import("node:worker_threads");
    const { dkimVerify, verifyArc, spfVerify } = await import(${JSON.stringify(parts)});
    const resolver = async (name, type) => {
      if (type === "TXT" && name === "example.test") return [["v=spf1 ip4:192.0.2.0/24 -all"]];
      throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    };
    const raw = Buffer.from("From: a@example.test\\r\\nDKIM-Signature: v=1; a=rsa-sha256; d=example.test; s=s1; h=from; bh=x; b=y\\r\\n\\r\\nHi\\r\\n");
    const dkim = await dkimVerify(raw, { resolver });
    const arc = await verifyArc(dkim.arc, { resolver });
    const spf = await spfVerify("example.test", {
      sender: "a@example.test", ip: "192.0.2.10", mta: "mx.test", helo: "mail.example.test",
      resolver, createSubResolver: () => resolver,
    });
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    parentPort.postMessage({ loaded, results: [dkim.results[0].status.result, arc.status.result, spf.qualifier ?? spf.error] });
  `;
  const worker = new Worker(code, { eval: true });
  const [message] = (await once(worker, "message")) as [{ loaded: string[]; results: string[] }];
  await worker.terminate();
  return message;
}

describe("the parts of mailauth Mailnest loads", () => {
  it("are DKIM, ARC and SPF only: BIMI, its VMC validation and their HTTP client never load", async () => {
    const { loaded, results } = await filesLoadedByVerifying();
    // The three parts ran: a signature with a key that is not published, no ARC chain, an SPF pass.
    expect(results).toEqual(["neutral", "none", "+"]);
    const mailauthFiles = loaded.filter((file) => file.includes("/mailauth/lib/"));
    expect(mailauthFiles.some((file) => file.includes("/dkim/"))).toBe(true);
    expect(mailauthFiles.some((file) => file.includes("/arc/"))).toBe(true);
    expect(
      loaded.filter((file) =>
        /\/mailauth\/lib\/(bimi|mailauth\.js)|\/undici\/|\/@peculiar\/|\/@postalsys\/vmc\//.test(file),
      ),
    ).toEqual([]);
  }, 60_000);
});
