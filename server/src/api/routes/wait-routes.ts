import type { WaitResponse } from "@mailnest/protocol";
import type { Request, Response } from "express";
import type { MessageFilter } from "../../store/message-store.js";
import { isWaitAbortedError } from "../../waits/wait-errors.js";
import { loadMatches } from "../../waits/wait-registry.js";
import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { jsonListParts, sendJsonParts } from "../http/send-json-parts.js";
import { addressParam, parseWaitQuery } from "./params.js";

/** The long-poll waits (docs/api.md, "Waiting"). */
export function waitRoutes(routes: ApiRoutes, { config, store, waits }: ApiDeps): void {
  routes.get("/api/inboxes/:address/wait", async (req, res) => {
    const inbox = addressParam(req.params.address);
    await answerWait(req, res, { store, waits }, config.maxWaitMs, { inbox });
  });

  routes.get("/api/wait", async (req, res) => {
    await answerWait(req, res, { store, waits }, config.maxWaitMs, {});
  });
}

async function answerWait(
  req: Request,
  res: Response,
  { store, waits }: Pick<ApiDeps, "store" | "waits">,
  maxWaitMs: number,
  scope: Pick<MessageFilter, "inbox">,
): Promise<void> {
  const { filter, count, limit, timeoutMs } = parseWaitQuery(req.query, maxWaitMs);
  // A client that hangs up frees its waiter and timer at once, not when the timeout runs out.
  const clientGone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) clientGone.abort();
  };
  res.on("close", onClose);
  try {
    const { matches, head } = await waits.wait({
      filter: { ...filter, ...scope },
      count,
      limit,
      timeoutMs,
      signal: clientGone.signal,
    });
    // Up to 100 whole messages, each of any size: loaded and written one at a time.
    await sendJsonParts(
      res,
      jsonListParts(loadMatches(store, matches), {
        fields: { head } satisfies Omit<WaitResponse, "messages">,
        key: "messages",
      }),
    );
  } catch (error) {
    if (isWaitAbortedError(error)) {
      // The client half-closed; nothing will be answered, so the socket must not linger half-open.
      res.destroy();
      return;
    }
    throw error;
  } finally {
    res.off("close", onClose);
  }
}
