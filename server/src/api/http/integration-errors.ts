import {
  InvalidReleaseError,
  RelayRefusedError,
  ReleaseAttemptFailedError,
  UnknownReleaseError,
} from "../../relay/relay-errors.js";
import { InvalidSendRequestError } from "../../send/invalid-send-request-error.js";
import { MessageTooLargeError } from "../../store/errors.js";
import {
  InvalidWebhookError,
  UnknownWebhookError,
  WebhookFromFlagError,
} from "../../webhooks/webhook-errors.js";
import {
  type ApiError,
  ForbiddenError,
  InvalidParameterError,
  MappedError,
  NotFoundError,
  PayloadTooLargeError,
} from "./errors.js";

/**
 * The errors of webhooks, the send API and release (docs/integrations.md), for `toApiError`. A
 * release the relay policy forbids is 403 `forbidden`, whether no relay is configured or a
 * recipient is not allowed: the message says which.
 */
export function integrationApiError(error: unknown): ApiError | null {
  if (
    error instanceof InvalidWebhookError ||
    error instanceof InvalidSendRequestError ||
    error instanceof InvalidReleaseError
  ) {
    return new InvalidParameterError(error.parameter, error.message);
  }
  if (error instanceof UnknownWebhookError || error instanceof UnknownReleaseError) {
    return new NotFoundError(error.message);
  }
  if (error instanceof RelayRefusedError || error instanceof WebhookFromFlagError) {
    return new ForbiddenError(error.message);
  }
  if (error instanceof ReleaseAttemptFailedError) {
    return new MappedError("relay_failed", error.message, { releaseId: error.releaseId });
  }
  // Only `POST /api/send` ingests through the API: the built message is over --max-message-size.
  if (error instanceof MessageTooLargeError) return new PayloadTooLargeError(error.message);
  return null;
}
