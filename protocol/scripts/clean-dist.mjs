// A renamed or deleted source file must not live on in dist/ and keep being importable.
import { rm } from "node:fs/promises";

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
