import {
  apiPaths,
  type RelayStatus,
  type Release,
  type ReleaseList,
  type WebhookDelivery,
  type WebhookDeliveryList,
  type WebhookEndpoint,
  type WebhookEndpointList,
} from "@mailnest/protocol";
import { getJson, sendJson } from "./http.js";

/** Release to the `--relay` server and the webhook log (docs/integrations.md). */

export function getRelay(): Promise<RelayStatus> {
  return getJson<RelayStatus>(apiPaths.relay());
}

export async function listMessageReleases(messageId: string, signal?: AbortSignal): Promise<Release[]> {
  return (await getJson<ReleaseList>(apiPaths.messageReleases(messageId), signal)).releases;
}

export async function releaseMessage(messageId: string, to: string[]): Promise<Release> {
  const release = await sendJson<Release>("POST", apiPaths.messageRelease(messageId), { to });
  if (release === null) throw new Error("The server answered the release without a body");
  return release;
}

export async function listWebhooks(): Promise<WebhookEndpoint[]> {
  return (await getJson<WebhookEndpointList>(apiPaths.webhooks())).endpoints;
}

export async function listDeliveries(endpointId: string, limit = 25): Promise<WebhookDelivery[]> {
  const path = `${apiPaths.webhookDeliveries(endpointId)}?limit=${limit}`;
  return (await getJson<WebhookDeliveryList>(path)).deliveries;
}

export async function redeliver(deliveryId: string): Promise<void> {
  await sendJson("POST", apiPaths.webhookRedeliver(deliveryId));
}
