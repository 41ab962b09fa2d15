import { useEffect, useState } from "preact/hooks";
import { onTokenRequest, type TokenRequest } from "../api/token.js";
import { useModal } from "./use-modal.js";

/**
 * Asks for the API token when the server answers 401. Modal and not dismissable: without the token
 * the viewer can show nothing. The token is kept in sessionStorage for this tab.
 */
export function TokenDialog() {
  const [request, setRequest] = useState<TokenRequest | null>(null);
  const [value, setValue] = useState("");
  const dialog = useModal(request !== null);

  useEffect(() => onTokenRequest(setRequest), []);

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="token-title"
      onCancel={(event) => event.preventDefault()}
    >
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          const token = value.trim();
          if (token && request) {
            setValue("");
            request.submit(token);
          }
        }}
      >
        <h2 id="token-title">API token required</h2>
        <p class="muted">
          This Mailnest server was started with <code>--api-token</code>. Enter the token to view its mail; it
          is kept for this browser tab only.
        </p>
        {request?.rejected && (
          <p class="form-error" role="alert">
            That token was not accepted. Check it and try again.
          </p>
        )}
        <label class="field">
          <span>Token</span>
          <input
            type="password"
            name="token"
            autoComplete="off"
            required
            value={value}
            onInput={(event) => setValue(event.currentTarget.value)}
          />
        </label>
        <div class="dialog-actions">
          <button type="submit" class="button primary">
            Continue
          </button>
        </div>
      </form>
    </dialog>
  );
}
