import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { MailnestConfig } from "../../config.js";
import { ApiHarness } from "../../test-support/api-harness.js";
import { tempDir, useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();
const VIEWER_PAGE = "<!doctype html><title>Mailnest viewer</title>";

/** A harness serving a (stand-in) built viewer, so a wrong fallback to its page would show. */
async function withViewer(overrides: Partial<MailnestConfig> = {}): Promise<ApiHarness> {
  const webRoot = await tempDir(cleanup);
  await writeFile(path.join(webRoot, "index.html"), VIEWER_PAGE);
  return ApiHarness.start(cleanup, { webRoot, ...overrides });
}

const asBrowser = { headers: { accept: "text/html,application/xhtml+xml,*/*" } };

describe("where the peers' APIs answer", () => {
  it("by default: Mailpit and MailDev at their root paths, every peer under its prefix", async () => {
    const api = await withViewer();
    const id = await api.send({ to: "ann@example.test", subject: "Hi", html: "<p>peer html</p>" });

    const view = await api.fetch(`/view/${id}.html`, asBrowser);
    expect(view.status).toBe(200);
    expect(await view.text()).toBe("<p>peer html</p>\n");
    expect((await api.json<unknown[]>("/email")).body).toHaveLength(1);
    expect((await api.json("/api/v1/messages")).body).toMatchObject({ total: 1 });
    expect((await api.json("/mailpit/api/v1/messages")).body).toMatchObject({ total: 1 });
    expect((await api.json("/mailhog/api/v2/messages")).body).toMatchObject({ total: 1 });
    expect((await api.json<unknown[]>("/maildev/email")).body).toHaveLength(1);
    expect((await api.json("/healthz")).body).toBe(true);
    // The viewer keeps its own pages.
    expect(await (await api.fetch("/inbox/ann@example.test", asBrowser)).text()).toBe(VIEWER_PAGE);
  });

  it("never answers a peer path with the viewer's page, mounted or not", async () => {
    const api = await withViewer({ compat: [] });
    const id = await api.send({ to: "ann@example.test", subject: "Hi", html: "<p>x</p>" });

    for (const route of [
      `/view/${id}.html`,
      `/view/${id}.txt`,
      "/email",
      `/email/${id}/html`,
      "/healthz",
      "/api/v2/messages",
      "/mailhog/nothing",
      "/maildev/nothing",
      "/mailpit/view/nothing",
    ]) {
      const response = await api.fetch(route, asBrowser);
      expect(response.status, route).toBe(404);
      expect(response.headers.get("content-type"), route).toMatch(/^application\/json/);
      expect(await response.text(), route).not.toContain("Mailnest viewer");
    }
    const hint = await api.json<{ error: { message: string } }>(`/view/${id}.html`);
    expect(hint.body.error.message).toBe(
      `No route for GET /view/${id}.html: Mailpit's API is at /mailpit/view/${id}.html, or here with --compat mailpit`,
    );
    expect((await api.json<{ error: { message: string } }>("/email")).body.error.message).toContain(
      "--compat maildev",
    );
    // Under their prefixes they still answer.
    expect((await api.fetch(`/mailpit/view/${id}.html`)).status).toBe(200);
  });

  it("--compat mailhog gives MailHog /api/v1 and /api/v2; Mailpit stays under /mailpit", async () => {
    const api = await withViewer({ compat: ["mailhog"] });
    const id = await api.send({ to: "ann@example.test", subject: "Hi", text: "x" });

    const v1 = await api.json<Array<{ ID: string }>>("/api/v1/messages");
    expect(v1.body.map((m) => m.ID)).toEqual([id]);
    expect((await api.json("/api/v2/messages")).body).toMatchObject({ total: 1, count: 1 });
    expect((await api.json("/mailpit/api/v1/messages")).body).toMatchObject({ total: 1, messages_count: 1 });
    expect((await api.fetch(`/view/${id}.txt`)).status).toBe(404);
    expect((await api.fetch("/email")).status).toBe(404);
    // A Mailpit client left at its defaults reaches MailHog's /api/v1: the 404 says where Mailpit is.
    const search = await api.json<{ error: { code: string; message: string } }>("/api/v1/search?query=x");
    expect(search.status).toBe(404);
    expect(search.body.error).toEqual({
      code: "not_found",
      message:
        "No route for GET /api/v1/search in MailHog's API, which --compat mounts here: " +
        "Mailpit's API is at /mailpit/api/v1/search, or here with --compat mailpit",
    });
  });

  it("collapses repeated slashes in peer paths and keeps the query string", async () => {
    const api = await withViewer();
    await api.send({ to: "ann@example.test", subject: "Hi there", text: "x" });
    const search = await api.json<{ messages_count: number }>("//api//v1/search?query=subject%3Ahi");
    expect(search.body.messages_count).toBe(1);
    expect(
      (await api.json<{ messages_count: number }>("/mailpit//api/v1/search?query=subject%3Anope")).body
        .messages_count,
    ).toBe(0);
  });

  it("a peer route that changes something still refuses a cross-site browser request", async () => {
    const api = await withViewer();
    await api.send({ to: "ann@example.test", subject: "Keep me" });
    const forged = await api.fetch("/api/v1/messages", {
      method: "DELETE",
      headers: { origin: "https://evil.example" },
    });
    expect(forged.status).toBe(403);
    expect((await api.json("/api/v1/messages")).body).toMatchObject({ total: 1 });
  });
});
