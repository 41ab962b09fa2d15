import { describe, expect, it } from "vitest";
import { ApiHarness } from "../../test-support/api-harness.js";
import { openApiChecks } from "../../test-support/openapi-check.js";
import { useCleanup } from "../../test-support/test-sandbox.js";
import { openApiDocument } from "./document.js";

const cleanup = useCleanup();
const { schemaErrors, responseSchema } = openApiChecks(openApiDocument);

describe("the peer APIs' part of the OpenAPI document", () => {
  it("describes what the peer routes really answer", async () => {
    const api = await ApiHarness.start(cleanup);
    const id = await api.send({
      from: '"Ada" <ada@example.test>',
      to: "ann@example.test",
      cc: "cc@example.test",
      replyTo: "reply@example.test",
      subject: "documented",
      text: "see https://example.test",
      html: '<p>hi <img src="cid:pixel@x"></p>',
      headers: { "X-Tags": "one", "List-Unsubscribe": "<https://example.test/u>" },
      attachments: [
        { filename: "a.txt", content: "x" },
        { filename: "p.png", content: "png", contentType: "image/png", cid: "pixel@x" },
      ],
    });
    await api.send({ to: "bob@example.test", subject: "bare", text: "plain" });
    const check = async (route: string, path: string, method = "get", status = "200", init = {}) => {
      const response = await api.json(route, init);
      expect(response.status, route).toBe(Number(status));
      expect(schemaErrors(responseSchema(path, method, status), response.body), route).toEqual([]);
    };

    await check("/mailpit/api/v1/info", "/mailpit/api/v1/info");
    await check("/mailpit/api/v1/webui", "/mailpit/api/v1/webui");
    await check("/mailpit/api/v1/messages", "/mailpit/api/v1/messages");
    await check("/mailpit/api/v1/search?query=documented", "/mailpit/api/v1/search");
    await check("/mailpit/api/v1/search", "/mailpit/api/v1/search", "get", "400");
    await check(`/mailpit/api/v1/message/${id}`, "/mailpit/api/v1/message/{id}");
    await check(
      "/mailpit/api/v1/message/01aaaaaaaaaaaaaaaaaaaaaaaa",
      "/mailpit/api/v1/message/{id}",
      "get",
      "404",
    );
    await check(`/mailpit/api/v1/message/${id}/headers`, "/mailpit/api/v1/message/{id}/headers");
    await check("/mailpit/api/v1/tags", "/mailpit/api/v1/tags");
    await check("/mailhog/api/v2/messages", "/mailhog/api/v2/messages");
    await check("/mailhog/api/v2/search?kind=to&query=ann", "/mailhog/api/v2/search");
    await check("/mailhog/api/v1/messages", "/mailhog/api/v1/messages");
    await check(`/mailhog/api/v1/messages/${id}`, "/mailhog/api/v1/messages/{id}");
    await check("/maildev/email", "/maildev/email");
    await check(`/maildev/email/${id}`, "/maildev/email/{id}");
    await check("/maildev/healthz", "/maildev/healthz");
    await check("/maildev/email/read-all", "/maildev/email/read-all", "patch", "200", { method: "PATCH" });
    await check(`/maildev/email/${id}`, "/maildev/email/{id}", "delete", "200", { method: "DELETE" });
    await check("/maildev/email/all", "/maildev/email/all", "delete", "200", { method: "DELETE" });
    const again = await api.send({
      from: '"Ada" <ada@example.test>',
      to: "ann@example.test",
      cc: "cc@example.test",
      subject: "documented again",
      text: "plain",
      html: "<p>hi</p>",
      attachments: [{ filename: "p.png", content: "png", contentType: "image/png", cid: "pixel@x" }],
    });
    await api.send({ to: "bob@example.test", subject: "bare", text: "plain" });
    await check("/maildev/api/email", "/maildev/api/email");
    await check("/maildev/api/email/summary", "/maildev/api/email/summary");
    await check(`/maildev/api/email/${again}`, "/maildev/api/email/{id}");
    await check("/maildev/api/healthz", "/maildev/api/healthz");
    await check("/maildev/api/config", "/maildev/api/config");
    await check("/maildev/api/email/delete", "/maildev/api/email/delete", "post", "200", {
      method: "POST",
      body: { ids: [again, "01aaaaaaaaaaaaaaaaaaaaaaaa"] },
    });
    await check("/maildev/api/email/delete", "/maildev/api/email/delete", "post", "400", {
      method: "POST",
      body: { ids: "all" },
    });
  });

  it("names Basic credentials as a scheme of the peer routes only", () => {
    const schemes = (path: string, method: "get" | "delete") =>
      (openApiDocument.paths[path]?.[method]?.security ?? []).flatMap((requirement) =>
        Object.keys(requirement),
      );
    expect(schemes("/mailpit/api/v1/messages", "get")).toContain("basic");
    expect(schemes("/mailhog/api/v1/messages", "delete")).toContain("basic");
    expect(schemes("/api/messages", "get")).not.toContain("basic");
  });
});
