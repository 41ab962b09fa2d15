import { commonErrors, json, object, ref } from "./schema.js";
import type { PathItem, ResponseObject } from "./types.js";

/** The integrity part of `GET /api/openapi.json` (docs/api.md, "Health"), merged in by `document.ts`. */

/** 500 `message_damaged`: the stored bytes no longer match what was recorded when the message arrived. */
export const messageDamaged: ResponseObject = json(
  object({ error: ref("MessageDamagedErrorObject") }),
  "The message's stored bytes differ from the size and sha256 recorded when it arrived",
);

export const integrityPaths: Record<string, PathItem> = {
  "/api/check": {
    post: {
      operationId: "checkIntegrity",
      summary: "Read every stored message back and list those whose bytes differ from what was recorded",
      tags: ["service"],
      responses: { "200": json(ref("IntegrityReport"), "What was checked and found"), ...commonErrors },
    },
  },
};
