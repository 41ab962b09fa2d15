import type { ApiDeps } from "../deps.js";
import type { ApiRoutes } from "../http/api-routes.js";
import { NotFoundError } from "../http/errors.js";
import { generateInboxAddress } from "./inbox-address.js";
import { addressParam, parseCreateInboxBody, parseReadBody } from "./params.js";

/** `/api/inboxes…` (docs/api.md, "Inboxes"). The inbox's message list and wait live with messages and waits. */
export function inboxRoutes(routes: ApiRoutes, { config, store }: ApiDeps): void {
  routes.get("/api/inboxes", (_req, res) => {
    const recency = (inbox: { lastReceivedAt: string | null; createdAt: string }) =>
      inbox.lastReceivedAt ?? inbox.createdAt;
    const inboxes = store.listInboxes().sort((a, b) => recency(b).localeCompare(recency(a)));
    res.json({ inboxes });
  });

  routes.post("/api/inboxes", (req, res) => {
    const { prefix, domain, ttlMs } = parseCreateInboxBody(req.body);
    const address = generateInboxAddress(prefix, domain ?? config.domain, (a) => store.getInbox(a) !== null);
    const inbox = store.createInbox(address, ttlMs === null ? {} : { ttlMs });
    res.status(201).json({ ...inbox, head: store.head });
  });

  routes.get("/api/inboxes/:address", (req, res) => {
    const address = addressParam(req.params.address);
    const inbox = store.getInbox(address);
    if (!inbox) throw new NotFoundError(`No inbox ${JSON.stringify(address)}`);
    res.json(inbox);
  });

  // Clearing or marking an inbox that never got mail is not an error: there is simply nothing to do.
  routes.delete("/api/inboxes/:address/messages", async (req, res) => {
    res.json({ deleted: await store.clearInbox(addressParam(req.params.address)) });
  });

  routes.post("/api/inboxes/:address/read", async (req, res) => {
    const address = addressParam(req.params.address);
    res.json({ updated: await store.setInboxRead(address, parseReadBody(req.body, true)) });
  });

  routes.delete("/api/inboxes/:address", async (req, res) => {
    const address = addressParam(req.params.address);
    if (!(await store.deleteInbox(address))) throw new NotFoundError(`No inbox ${JSON.stringify(address)}`);
    res.status(204).end();
  });
}
