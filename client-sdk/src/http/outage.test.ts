import { describe, expect, it } from "vitest";
import { HttpError } from "../errors/http-error.js";
import { isServerUnavailableError } from "../errors/server-unavailable-error.js";
import { Outage } from "./outage.js";

describe("Outage", () => {
  it("giving up after 503 storage_unavailable says the server's storage was unavailable, and since when", () => {
    const outage = new Outage();
    const said = new HttpError("x", {
      status: 503,
      code: "storage_unavailable",
      method: "GET",
      url: "http://127.0.0.1:8025/api/messages/01x/raw",
      body: { error: { code: "storage_unavailable", message: "Storage unavailable while reading…" } },
    });
    outage.record("storage_unavailable", said);
    outage.record("storage_unavailable", said);
    const error = outage.toError("GET http://127.0.0.1:8025/api/messages/01x/raw gave up after 30000 ms", {
      method: "GET",
      url: "http://127.0.0.1:8025/api/messages/01x/raw",
    });
    expect(isServerUnavailableError(error)).toBe(true);
    expect(error.message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:8025\/api\/messages\/01x\/raw gave up after 30000 ms: the server said its storage was unavailable since \d\d:\d\d:\d\d\.\d{3}Z \(2 attempts\); last error: 503 storage_unavailable$/,
    );
    expect(error.storageUnavailableSince).toBeInstanceOf(Date);
    expect(error.shuttingDownAt).toBeNull();
    expect(error.unreachableSince).toBeNull();
    expect(error.cause).toBe(said);
  });
});
