/**
 * The API token, when the server runs with `--api-token`. It lives in sessionStorage: it survives
 * a reload of the tab but not the tab itself, and no other site can read it.
 */
const STORAGE_KEY = "mailnest.apiToken";

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be disabled (privacy settings); the viewer then asks again after a reload.
    return memoryToken;
  }
}

let memoryToken: string | null = null;

function saveToken(token: string): void {
  memoryToken = token;
  try {
    sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Kept in memory only.
  }
  for (const listener of tokenChangeListeners) listener();
}

/** What the UI shows while it asks: `rejected` is true when the previous token was refused. */
export interface TokenRequest {
  rejected: boolean;
  submit(token: string): void;
}

type TokenRequestListener = (request: TokenRequest | null) => void;

let requestListener: TokenRequestListener | null = null;
let pending: Promise<void> | null = null;
const tokenChangeListeners = new Set<() => void>();

/** The UI registers the one component that can ask the user (the token dialog). */
export function onTokenRequest(listener: TokenRequestListener): () => void {
  requestListener = listener;
  return () => {
    if (requestListener === listener) requestListener = null;
  };
}

const pendingListeners = new Set<(pending: boolean) => void>();

/** Whether the user is being asked for a token: the top bar then says so, not "Offline". */
export function onTokenPending(listener: (pending: boolean) => void): () => void {
  pendingListeners.add(listener);
  listener(pending !== null);
  return () => pendingListeners.delete(listener);
}

function announcePending(): void {
  for (const listener of pendingListeners) listener(pending !== null);
}

/** Called after a new token is saved, e.g. so the WebSocket reconnects with it. */
export function onTokenChange(listener: () => void): () => void {
  tokenChangeListeners.add(listener);
  return () => tokenChangeListeners.delete(listener);
}

/**
 * Asks the user for a token and resolves once one is saved. Concurrent 401s share one prompt, so a
 * page that fires five requests at start-up asks once, not five times.
 */
export function requestToken(rejected: boolean): Promise<void> {
  if (pending) return pending;
  const listener = requestListener;
  if (!listener) return Promise.reject(new Error("The API needs a token and no token prompt is mounted."));
  pending = new Promise<void>((resolve) => {
    listener({
      rejected,
      submit(token) {
        saveToken(token);
        pending = null;
        listener(null);
        announcePending();
        resolve();
      },
    });
  });
  announcePending();
  return pending;
}
