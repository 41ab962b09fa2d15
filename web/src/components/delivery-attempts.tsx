import type { DeliveryAttempt, DeliveryState } from "@mailnest/protocol";
import { formatFullDate } from "../state/format.js";

/** `delivered`, `pending` (with when the next attempt is due) or `dead` (with why), as a tag. */
export function DeliveryStateTag(props: {
  state: DeliveryState;
  nextAttemptAt: string | null;
  deadReason: string | null;
}) {
  if (props.state === "delivered") return <span class="tag">delivered</span>;
  if (props.state === "dead") {
    return (
      <span class="tag warn" title={props.deadReason ?? undefined}>
        dead
      </span>
    );
  }
  return (
    <span
      class="tag"
      title={props.nextAttemptAt ? `next attempt ${formatFullDate(props.nextAttemptAt)}` : undefined}
    >
      pending
    </span>
  );
}

/** Every attempt of a delivery or release: when, what came back, how long it took, what went wrong. */
export function DeliveryAttempts({ attempts }: { attempts: DeliveryAttempt[] }) {
  if (attempts.length === 0) return <span class="muted">no attempt yet</span>;
  return (
    <ol class="attempts">
      {attempts.map((attempt) => (
        <li key={attempt.attempt}>
          <time dateTime={attempt.at}>{formatFullDate(attempt.at)}</time>{" "}
          <strong>{attempt.status ?? "no answer"}</strong> in {attempt.latencyMs} ms
          {attempt.error && <span class="muted"> · {attempt.error}</span>}
        </li>
      ))}
    </ol>
  );
}
