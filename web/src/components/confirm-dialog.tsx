import { useCallback, useState } from "preact/hooks";
import { useModal } from "./use-modal.js";

export interface ConfirmRequest {
  title: string;
  body: string;
  confirmLabel: string;
}

type Pending = ConfirmRequest & { resolve(answer: boolean): void };

/** `confirm(...)` resolves true or false; render `dialog` once. A native modal <dialog>: focus is trapped and Escape cancels. */
export function useConfirm() {
  const [pending, setPending] = useState<Pending | null>(null);
  const confirm = useCallback(
    (request: ConfirmRequest) => new Promise<boolean>((resolve) => setPending({ ...request, resolve })),
    [],
  );
  const answer = useCallback(
    (value: boolean) => {
      pending?.resolve(value);
      setPending(null);
    },
    [pending],
  );
  return { confirm, dialog: <ConfirmDialog pending={pending} onAnswer={answer} /> };
}

function ConfirmDialog({ pending, onAnswer }: { pending: Pending | null; onAnswer(value: boolean): void }) {
  const dialog = useModal(pending !== null);

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(event) => {
        event.preventDefault();
        onAnswer(false);
      }}
    >
      <h2 id="confirm-title">{pending?.title}</h2>
      <p id="confirm-body" class="muted">
        {pending?.body}
      </p>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="button" class="button danger-solid" onClick={() => onAnswer(true)}>
          {pending?.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
