import { describe, expect, it } from "vitest";
import { HttpError } from "../errors/http-error.js";
import { compileFilter } from "../filter/compile-filter.js";
import { CandidatePages, FIRST_PAGE } from "./candidate-pages.js";

const badParameter = (parameter: string) =>
  new HttpError("GET /api/wait: 400", {
    status: 400,
    code: "invalid_parameter",
    method: "GET",
    url: "http://127.0.0.1/api/wait",
    body: { code: "invalid_parameter", message: "no such parameter", parameter },
  });

describe("candidate pages", () => {
  it("page a filter with a part that runs only here, doubling up to 500", () => {
    const pages = new CandidatePages();
    const filter = compileFilter({ where: () => true });
    const sizes: (number | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      sizes.push(pages.limit(filter, 1));
      pages.grow();
    }
    expect(sizes).toEqual([FIRST_PAGE, 100, 200, 400, 500, 500]);
  });

  it("ask a filter the server applies in full for just what the wait still needs", () => {
    const pages = new CandidatePages();
    const filter = compileFilter({ subject: /code/ });
    // One: the server's default, which a server from before `limit` understands too.
    expect(pages.limit(filter, 1)).toBeUndefined();
    expect(pages.limit(filter, 3)).toBe(3);
  });

  it("stop sending limit once a server refuses it, and only for that parameter", () => {
    const pages = new CandidatePages();
    const filter = compileFilter({ where: () => true });
    expect(pages.refused(badParameter("count"))).toBe(false);
    expect(pages.refused(new Error("limit"))).toBe(false);
    expect(pages.limit(filter, 1)).toBe(FIRST_PAGE);
    expect(pages.refused(badParameter("limit"))).toBe(true);
    expect(pages.limit(filter, 1)).toBeUndefined();
    // Refused once: a second 400 for it is not the old-server case any more, and is thrown.
    expect(pages.refused(badParameter("limit"))).toBe(false);
  });
});
