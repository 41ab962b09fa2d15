import {
  apiPaths,
  type RelayRule,
  type RelayRuleList,
  type RelayRuleRequest,
  type RelayStatus,
  type Release,
  type ReleaseList,
} from "@mailnest/protocol";
import type { HttpClient } from "../http/http-client.js";
import { checkId } from "./webhooks.js";

/**
 * Release to the server's `--relay` SMTP server (`mail.relay`, docs/integrations.md): its status,
 * auto-relay rules and the log of releases. Release one message with `message.release(to)`.
 * Recipients outside the server's `--relay-allow` patterns are refused (HTTP 403): never an open relay.
 */
export class Relay {
  readonly #http: HttpClient;

  /** @internal Made by `Mailnest`. */
  constructor(http: HttpClient) {
    this.#http = http;
  }

  /** Whether a relay is configured, and which recipients it allows. */
  status(): Promise<RelayStatus> {
    return this.#http.json<RelayStatus>("GET", apiPaths.relay());
  }

  async rules(): Promise<RelayRule[]> {
    return (await this.#http.json<RelayRuleList>("GET", apiPaths.relayRules())).rules;
  }

  /** Every message to a recipient matching `match` is also released (to `relayTo` when given). */
  addRule(rule: RelayRuleRequest): Promise<RelayRule> {
    return this.#http.json<RelayRule>("POST", apiPaths.relayRules(), { body: rule });
  }

  async removeRule(id: string): Promise<void> {
    await this.#http.send("DELETE", apiPaths.relayRule(checkId(id, "rule")));
  }

  /** Every release, newest first. */
  async releases(options: { limit?: number } = {}): Promise<Release[]> {
    const query = options.limit === undefined ? {} : { limit: options.limit };
    return (await this.#http.json<ReleaseList>("GET", apiPaths.releases(), { query })).releases;
  }

  get(id: string): Promise<Release> {
    return this.#http.json<Release>("GET", apiPaths.release(checkId(id, "release")));
  }

  /** Queues the release again (a dead one, typically). */
  retry(id: string): Promise<Release> {
    return this.#http.json<Release>("POST", apiPaths.releaseRetry(checkId(id, "release")));
  }
}
