import path from "node:path";
import { fileURLToPath } from "node:url";

export const E2E_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const REPO_ROOT = path.resolve(E2E_ROOT, "..");
/** The built viewer the server under test serves at `/`. */
export const WEB_ROOT = path.join(REPO_ROOT, "web", "dist");
/** Screenshots for a human to look at; under test-results/, which git ignores. */
export const SCREENSHOT_DIR = path.join(E2E_ROOT, "test-results", "screenshots");
