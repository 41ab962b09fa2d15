import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { ApiHarness } from "../../test-support/api-harness.js";
import { useCleanup } from "../../test-support/test-sandbox.js";

const cleanup = useCleanup();

/** Sends `request` as raw bytes and reads everything until the server closes the connection. */
function exchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.write(request);
  });
}

function parse(response: string): { status: number; contentType: string; body: unknown } {
  const [head = "", body = ""] = response.split("\r\n\r\n", 2);
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]);
  const contentType = /^content-type: (.*)$/im.exec(head)?.[1] ?? "";
  return { status, contentType, body: JSON.parse(body) };
}

describe("requests Node's HTTP parser refuses", () => {
  it("answers a URL above the header limit with the API's JSON error, and keeps serving", async () => {
    const api = await ApiHarness.start(cleanup);
    const answer = parse(
      await exchange(
        api.http.port,
        `GET /api/messages?subject=${"a".repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      ),
    );
    expect(answer).toMatchObject({
      status: 431,
      contentType: "application/json; charset=utf-8",
      body: { error: { code: "request_headers_too_large" } },
    });
    expect((await fetch(`${api.http.url}/api/health`)).status).toBe(200);
  });

  it("answers a malformed request line with malformed_request", async () => {
    const api = await ApiHarness.start(cleanup);
    const answer = parse(await exchange(api.http.port, "GARBAGE\0 / HTTP/1.1\r\n\r\n"));
    expect(answer).toMatchObject({ status: 400, body: { error: { code: "malformed_request" } } });
    expect(JSON.stringify(answer.body)).toContain("HPE_");
  });
});
