import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  plainMessage,
  signWithMailauth,
  spawnVerifierFromSource,
} from "../test-support/deliverability-kit.js";
import {
  createDeliverabilityLab,
  type DeliverabilityConfig,
  type DeliverabilityLab,
} from "./deliverability-lab.js";
import type { VerifierWorkerData } from "./verifier-messages.js";

const CONFIG: DeliverabilityConfig = {
  verifyAuth: true,
  verifyThreads: 1,
  dnsZoneFile: null,
  dnsMode: "zone",
  domain: "mx.mailnest.test",
};
const FROM_EXAMPLE = { ip: "192.0.2.10", helo: "mail.example.test", mailFrom: "ada@example.test" };

const labs: DeliverabilityLab[] = [];
const directories: string[] = [];
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.close();
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true });
});

/**
 * A lab whose verification threads run the TypeScript sources, past its startup (`threadsAfter`
 * resolved); `threads` lists each thread started, and `verified` counts the messages posted to them.
 */
async function labWithThreads(config: Partial<DeliverabilityConfig> = {}, startup = Promise.resolve()) {
  const threads: Worker[] = [];
  let verified = 0;
  let verifierLoads = 0;
  const lab = await createDeliverabilityLab(
    { ...CONFIG, ...config },
    {
      threadsAfter: startup,
      loadVerifier: () => {
        verifierLoads += 1;
        return import("./verify-message.js");
      },
      spawnThread: (workerData: VerifierWorkerData) => {
        const worker = spawnVerifierFromSource(workerData);
        const post = worker.postMessage.bind(worker);
        worker.postMessage = (value: unknown, ...rest: never[]) => {
          const request = value as { kind?: string; requests?: unknown[] };
          if (request.kind === "verify") verified += request.requests?.length ?? 0;
          post(value, ...rest);
        };
        threads.push(worker);
        return worker;
      },
    },
  );
  labs.push(lab);
  // Past the lab's startup: threads that start ahead have started.
  await new Promise((resolve) => setImmediate(resolve));
  return { lab, threads, verified: () => verified, verifierLoads: () => verifierLoads };
}

describe("where a message is verified (zone mode)", () => {
  it("verifies unsigned mail on the event loop and starts no thread for it", async () => {
    const { lab, threads, verified } = await labWithThreads();
    await lab.addRecord({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });

    const first = await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    // Another envelope, so its verdicts are not the first one's reused.
    const second = await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE, ip: "198.51.100.1" });

    expect(first.spf.result).toBe("pass");
    expect(second.spf.result).toBe("fail");
    expect(threads).toHaveLength(0);
    expect(lab.runningThreads()).toBe(0);
    expect(verified()).toBe(0);
  });

  it("starts a thread once the zone publishes a DKIM key, and verifies signed mail there, unsigned mail still not", async () => {
    const { lab, threads, verified } = await labWithThreads();
    expect(threads).toHaveLength(0);

    const key = await lab.createDkimKey({ domain: "example.test", selector: "s1" });
    // Ahead of any signed message: the first one need not wait for a thread to load.
    expect(threads).toHaveLength(1);
    expect(lab.runningThreads()).toBe(1);

    const signed = await signWithMailauth(plainMessage(), {
      domain: "example.test",
      selector: "s1",
      privateKey: key.privateKeyPem,
    });
    const result = await lab.verifier.verify({ raw: signed, ...FROM_EXAMPLE });
    await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE });

    expect(result.dkim).toEqual([expect.objectContaining({ result: "pass", domain: "example.test" })]);
    expect(verified()).toBe(1);
    expect(threads).toHaveLength(1);
  });

  it("starts its threads ahead when the zone file it loads publishes a DKIM key", async () => {
    const directory = await mkdtemp(join(tmpdir(), "mailnest-lab-"));
    directories.push(directory);
    const file = join(directory, "zone.txt");
    await writeFile(
      file,
      '$ORIGIN example.test.\ns1._domainkey IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="\n',
    );

    const { threads, lab } = await labWithThreads({ dnsZoneFile: file });

    expect(threads).toHaveLength(1);
    expect(lab.runningThreads()).toBe(1);
  });
});

describe("when the event loop's verifier loads", () => {
  it("with threads in zone mode: once the server's startup is done, before any message", async () => {
    let started = () => {};
    const startup = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { lab, verifierLoads } = await labWithThreads({}, startup);
    expect(verifierLoads()).toBe(0);

    started();
    await new Promise((resolve) => setImmediate(resolve));
    expect(verifierLoads()).toBe(1);
    await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(verifierLoads()).toBe(1);
  });

  it("with --verify-threads 0: at the first message, as a server that never receives one never loads it", async () => {
    const { lab, verifierLoads } = await labWithThreads({ verifyThreads: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(verifierLoads()).toBe(0);

    await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE });
    expect(verifierLoads()).toBe(1);
  });
});

describe("where a message is verified (system DNS)", () => {
  it("starts the threads ahead and verifies unsigned mail there too: lookups may go to real DNS", async () => {
    const { lab, threads, verified } = await labWithThreads({ dnsMode: "zone-then-system" });
    expect(threads).toHaveLength(1);
    // Every name this message's verification reads is in the zone: no lookup leaves the machine.
    await lab.addRecord({ name: "example.test", type: "TXT", value: "v=spf1 ip4:192.0.2.0/24 -all" });
    await lab.addRecord({ name: "_dmarc.example.test", type: "TXT", value: "v=DMARC1; p=reject" });

    const result = await lab.verifier.verify({ raw: plainMessage(), ...FROM_EXAMPLE });

    expect(result.spf.result).toBe("pass");
    expect(verified()).toBe(1);
  });
});
