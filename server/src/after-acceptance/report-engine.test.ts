import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../config.js";
import type { DsnRequest } from "../events/bus.js";
import type { MessageStore } from "../store/message-store.js";
import { createStoreKit, ingestBuffer, testEnvelope, testMessage } from "../test-support/store-kit.js";
import { ReportEngine } from "./report-engine.js";

const kit = createStoreKit();
afterEach(() => kit.cleanup());

/** The store, with every `get` (a whole message read back) recorded. */
function countingGets(store: MessageStore): { store: MessageStore; gets: string[] } {
  const gets: string[] = [];
  const counting = new Proxy(store, {
    get(target, property, receiver) {
      if (property === "get") {
        return (id: string) => {
          gets.push(id);
          return target.get(id);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: counting, gets };
}

describe("ReportEngine deciding", () => {
  it("reads back only the messages that get a report; the envelope in memory decides the rest", async () => {
    const { store: real, bus } = await kit.open(null);
    const { store, gets } = countingGets(real);
    const engine = await ReportEngine.open({
      config: {
        domain: "mailnest.test",
        maxMessageSize: DEFAULT_CONFIG.maxMessageSize,
        dataDir: null,
        simulator: { enabled: true, prefix: "" },
        reportRelay: null,
      },
      store,
      bus,
    });
    const send = async (to: string) => {
      const stored = await ingestBuffer(
        real,
        testMessage({ to, subject: `to ${to}` }),
        testEnvelope({ mailFrom: "app@example.test", rcptTo: [to] }),
      );
      const dsn: DsnRequest = {
        ret: null,
        envid: null,
        recipients: [{ address: to, notify: null, orcpt: null }],
      };
      bus.emit("smtp.stored", { id: stored.id, dsn });
      return stored.id;
    };

    await send("someone@customer.test");
    await send("other@customer.test");
    const bounced = await send("bounce@customer.test");

    await expect
      .poll(async () => (await real.list({ inbox: "app@example.test", limit: 5 })).messages.length)
      .toBe(1);
    expect(gets).toEqual([bounced]);
    await engine.close();
  });
});
