import type { Health, IntegrityReport, MessageDamagedErrorObject, StoredMessage } from "@mailnest/protocol";
import { describe, expect, it } from "vitest";
import { ApiHarness } from "../../test-support/api-harness.js";
import { cutStoredRaw, flipLastStoredRawByte } from "../../test-support/stored-raw.js";
import { useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

function dataDirOf(api: ApiHarness): string {
  if (api.config.dataDir === null) throw new Error("the harness has no data directory");
  return api.config.dataDir;
}

async function stored(api: ApiHarness, id: string): Promise<StoredMessage> {
  return (await api.json<StoredMessage>(`/api/messages/${id}`)).body;
}

describe("damaged messages", () => {
  it("answers 500 message_damaged for truncated raw bytes, naming the message and the sizes, instead of serving it", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({
      to: "ann@example.test",
      subject: "cut short",
      text: "hello",
      attachments: [{ filename: "a.txt", content: "attached" }],
    });
    const { size, sha256 } = await stored(api, id);
    await cutStoredRaw(dataDirOf(api), id, size - 20);

    for (const path of [
      `/api/messages/${id}/raw`,
      `/api/messages/${id}/raw?download=1`,
      `/api/messages/${id}/attachments/a1`,
    ]) {
      const { status, body } = await api.json<{ error: MessageDamagedErrorObject }>(path);
      expect({ path, status }).toEqual({ path, status: 500 });
      expect(body.error).toEqual({
        code: "message_damaged",
        message: `Message ${id} is damaged: recorded ${size} bytes with sha256 ${sha256}, found ${size - 20} bytes`,
        id,
        expected: { size, sha256 },
        found: { size: size - 20, sha256: null },
      });
    }
    // What was recorded is still listed; health counts the damage.
    expect((await api.json(`/api/messages/${id}`)).status).toBe(200);
    expect((await api.json<Health>("/api/health")).body.damaged).toBe(1);
  });

  it("cuts the transfer of a large message whose content changed, rather than ending it cleanly", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({ to: "ann@example.test", subject: "large", text: "x".repeat(1536 * 1024) });
    await flipLastStoredRawByte(dataDirOf(api), id);

    const response = await api.fetch(`/api/messages/${id}/raw`);
    // The size matched, so the answer had started; the hash can only differ at the end.
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    expect((await api.json<Health>("/api/health")).body.damaged).toBe(1);
  });

  it("POST /api/check reads every message back and lists the damaged ones", async () => {
    const api = await ApiHarness.start(cleanup);
    const intact = await api.send({ to: "ann@example.test", subject: "intact" });
    const edited = await api.send({ to: "ann@example.test", subject: "edited" });
    const { size, sha256 } = await stored(api, edited);
    await flipLastStoredRawByte(dataDirOf(api), edited);
    expect((await api.json<Health>("/api/health")).body.damaged).toBe(0);

    const { status, body } = await api.json<IntegrityReport>("/api/check", { method: "POST" });
    expect(status).toBe(200);
    expect(body.checked).toBe(2);
    expect(body.damaged).toEqual([
      {
        id: edited,
        message: expect.stringMatching(new RegExp(`^Message ${edited} is damaged: recorded ${size} bytes`)),
        expected: { size, sha256 },
        found: { size, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    ]);
    expect(body.damaged[0]?.found.sha256).not.toBe(sha256);
    expect((await api.json<Health>("/api/health")).body.damaged).toBe(1);
    expect((await api.fetch(`/api/messages/${intact}/raw`)).status).toBe(200);

    // Deleting the damaged message clears the count.
    expect((await api.fetch(`/api/messages/${edited}`, { method: "DELETE" })).status).toBe(204);
    expect((await api.json<Health>("/api/health")).body.damaged).toBe(0);
  });
});
