import type { WebhookDelivery, WebhookEndpoint } from "@mailnest/protocol";
import { useCallback, useEffect, useState } from "preact/hooks";
import { listDeliveries, listWebhooks, redeliver } from "../api/integrations-api.js";
import { DeliveryAttempts, DeliveryStateTag } from "./delivery-attempts.js";
import { useModal } from "./use-modal.js";

/** Deliveries shown per endpoint (the API keeps up to 1,000). */
const SHOWN = 20;

/**
 * The webhook endpoints and their delivery logs (docs/integrations.md): what was sent, every
 * attempt, what is pending or dead, and a way to deliver one again.
 */
export function WebhooksDialog(props: { open: boolean; onClose(): void; onError(error: unknown): void }) {
  const dialog = useModal(props.open);
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[] | null>(null);
  const [deliveries, setDeliveries] = useState<Record<string, WebhookDelivery[]>>({});
  const { onError } = props;

  const load = useCallback(async () => {
    try {
      const list = await listWebhooks();
      setEndpoints(list);
      const logs = await Promise.all(list.map((endpoint) => listDeliveries(endpoint.id, SHOWN)));
      setDeliveries(Object.fromEntries(list.map((endpoint, index) => [endpoint.id, logs[index] ?? []])));
    } catch (error) {
      onError(error);
    }
  }, [onError]);

  useEffect(() => {
    if (props.open) void load();
  }, [props.open, load]);

  return (
    <dialog
      ref={dialog}
      class="dialog webhooks-dialog"
      aria-labelledby="webhooks-title"
      onCancel={(event) => {
        event.preventDefault();
        props.onClose();
      }}
    >
      <h2 id="webhooks-title">Webhooks</h2>
      {endpoints === null && <p class="muted">Loading…</p>}
      {endpoints?.length === 0 && (
        <p class="muted">
          No endpoint. Add one with <code>--webhook &lt;url&gt;</code> or <code>POST /api/webhooks</code>.
        </p>
      )}
      {endpoints?.map((endpoint) => (
        <section key={endpoint.id} class="webhook-endpoint" aria-label={endpoint.url}>
          <h3>
            <code>{endpoint.url}</code>
            {endpoint.paused && <span class="tag warn">paused</span>}
          </h3>
          <p class="muted">
            {endpoint.events.join(", ")} · {endpoint.pending} pending · {endpoint.delivered} delivered ·{" "}
            {endpoint.dead} dead
          </p>
          <div class="table-scroll">
            <table class="data-table">
              <caption class="visually-hidden">Deliveries to {endpoint.url}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(deliveries[endpoint.id] ?? []).map((delivery) => (
                  <tr key={delivery.id}>
                    <td>
                      {delivery.eventType}
                      {delivery.redeliveryOf && <span class="muted"> (again)</span>}
                    </td>
                    <td>
                      <DeliveryStateTag {...delivery} />
                    </td>
                    <td>
                      <DeliveryAttempts attempts={delivery.attempts} />
                    </td>
                    <td>
                      <button
                        type="button"
                        class="button ghost"
                        onClick={() => redeliver(delivery.id).then(load, onError)}
                      >
                        Redeliver
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
      <div class="dialog-actions">
        <button type="button" class="button" onClick={() => void load()}>
          Refresh
        </button>
        <button type="button" class="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
