import { describe, expect, it } from "vitest";
import type { FaultRule } from "../../faults/fault-rule.js";
import { ApiHarness } from "../../test-support/api-harness.js";
import { fetchJson } from "../../test-support/fetch-json.js";
import { startTestSandbox, useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

interface ErrorBody {
  error: { code: string; message: string; parameter?: string };
}

describe("fault routes", () => {
  it("POST /api/faults validates the rule and answers 400 naming the parameter", async () => {
    const { url } = await startTestSandbox(cleanup);
    for (const [body, parameter] of [
      [{ stage: "rcpt" }, "code"],
      [{ stage: "rcpt", code: 451, probability: -1 }, "probability"],
      [{ stage: "mail", code: 451, to: "a@x.test" }, "to"],
      [{ stage: "rcpt", code: 451, stages: "x" }, "stages"],
      [[1, 2], "body"],
    ] as const) {
      const response = await fetchJson<ErrorBody>(url, "POST", "/api/faults", body);
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: "invalid_parameter", parameter });
    }
    expect((await fetchJson<ErrorBody>(url, "POST", "/api/faults")).body.error.parameter).toBe("body");
  });

  it("lists rules with their remaining counts, deletes one by id, and clears them all", async () => {
    const { url } = await startTestSandbox(cleanup);
    const first = await fetchJson<FaultRule>(url, "POST", "/api/faults", {
      stage: "rcpt",
      code: 451,
      times: 3,
    });
    const second = await fetchJson<FaultRule>(url, "POST", "/api/inboxes/Box%40X.test/faults", {
      stage: "data",
      code: 554,
    });
    expect(first.status).toBe(201);
    expect(second.body).toMatchObject({
      inbox: "box@x.test",
      stage: "data",
      times: 1,
      remaining: 1,
      origin: "api",
    });

    const listed = await fetchJson<{ rules: FaultRule[] }>(url, "GET", "/api/faults");
    // Targeted rules are tried (and listed) first.
    expect(listed.body.rules.map((rule) => [rule.id, rule.remaining])).toEqual([
      [second.body.id, 1],
      [first.body.id, 3],
    ]);

    expect((await fetchJson(url, "DELETE", `/api/faults/${first.body.id}`)).status).toBe(204);
    expect((await fetchJson<ErrorBody>(url, "DELETE", `/api/faults/${first.body.id}`)).status).toBe(404);
    expect((await fetchJson<ErrorBody>(url, "DELETE", "/api/faults/not-a-rule-id")).status).toBe(404);
    expect((await fetchJson(url, "DELETE", "/api/faults")).body).toEqual({ deleted: 1 });
    expect((await fetchJson(url, "GET", "/api/faults")).body).toEqual({ rules: [] });
  });

  it("the inbox shortcut takes its inbox from the path only", async () => {
    const { url } = await startTestSandbox(cleanup);
    const response = await fetchJson<ErrorBody>(url, "POST", "/api/inboxes/a%40x.test/faults", {
      stage: "rcpt",
      code: 451,
      inbox: "b@x.test",
    });
    expect(response.status).toBe(400);
    expect(response.body.error.parameter).toBe("inbox");
    expect((await fetchJson<ErrorBody>(url, "GET", "/api/inboxes/not-an-address/faults")).status).toBe(400);
  });

  it("GET /api/faults/log refuses unknown parameters and a malformed inbox", async () => {
    const { url } = await startTestSandbox(cleanup);
    expect((await fetchJson(url, "GET", "/api/faults/log")).body).toEqual({ entries: [] });
    expect(
      (await fetchJson<ErrorBody>(url, "GET", "/api/faults/log?inbx=a%40x.test")).body.error.parameter,
    ).toBe("inbx");
    expect(
      (await fetchJson<ErrorBody>(url, "GET", "/api/faults/log?inbox=nobody")).body.error.parameter,
    ).toBe("inbox");
  });

  it("answers 404 on an app built without fault injection", async () => {
    const harness = await ApiHarness.start(cleanup);
    const response = await harness.json<ErrorBody>("/api/faults");
    expect(response.status).toBe(404);
    expect(response.body.error.message).toBe("Fault injection is not enabled on this server");
  });
});
