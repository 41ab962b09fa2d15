import type { DamagedMessage, IntegrityReport } from "@mailnest/protocol";
import type { MessageDamagedError } from "../../store/errors.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { refuseBodyFields } from "../http/json-body.js";

/**
 * `POST /api/check` (docs/api.md, "Health"): reads every stored message back and compares it with
 * the size and sha256 recorded when it arrived. A POST: it reads the whole store, and what it finds
 * changes the `damaged` count of `GET /api/health`.
 */
export function integrityRoutes(routes: ApiRoutes, { store }: ApiDeps): void {
  routes.post("/api/check", async (req, res) => {
    refuseBodyFields(req.body);
    const { checked, damaged } = await store.checkIntegrity();
    const report: IntegrityReport = { checked, damaged: damaged.map(toDamagedMessage) };
    res.json(report);
  });
}

function toDamagedMessage({ id, message, expected, found }: MessageDamagedError): DamagedMessage {
  return { id, message, expected, found };
}
