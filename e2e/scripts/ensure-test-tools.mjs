// Run first by `npm test`, before anything is installed or built: the browser tests need a
// Chromium, and a run that would fail them after minutes of building should rather stop at once.
//
// Found: CHROMIUM_PATH, else /usr/bin/chromium (what e2e/playwright.config.ts launches), else
// Playwright's own build. Missing: as root with apt (Debian, CI), `apt-get install chromium`, with
// the optional tools some tests use when present (swaks with its TLS and SASL modules, dkimpy);
// otherwise Playwright's own download (`playwright install chromium`), where the network allows.
// If none works: one line saying what to install, exit 1. Plain Node, no dependencies.
import { spawnSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const e2e = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** Debian packages that tests use when installed (they skip or narrow down without them). */
const OPTIONAL_PACKAGES = [
  "swaks",
  "libnet-ssleay-perl",
  "libauthen-sasl-perl",
  "libdigest-hmac-perl",
  "python3-dkim",
];
/** Bounds Playwright's download: a network that drops the connection must not hold the run for long. */
const DOWNLOAD_TIMEOUT_MS = 120_000;
const INSTALL_HINT =
  "npm test needs Chromium for the browser tests: install it (Debian/Ubuntu: apt-get install chromium; elsewhere: npx playwright install chromium) or set CHROMIUM_PATH to one";

const say = (line) => process.stdout.write(`ensure-test-tools: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`${line}\n`);
  process.exit(1);
};

if (process.env.CHROMIUM_PATH) {
  if (!isExecutable(process.env.CHROMIUM_PATH))
    fail(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file. ${INSTALL_HINT}`);
  installOptionalTools();
  process.exit(0);
}

const canApt = process.platform === "linux" && process.getuid?.() === 0 && commandExists("apt-get");
const missingOptional = canApt ? OPTIONAL_PACKAGES.filter((name) => !debianPackageInstalled(name)) : [];

if (isExecutable("/usr/bin/chromium")) {
  installOptionalTools();
  process.exit(0);
}

if (canApt) {
  aptInstall(["chromium", ...missingOptional]);
  if (isExecutable("/usr/bin/chromium")) process.exit(0);
  say("apt-get could not install chromium; trying Playwright's own download");
}

// Playwright's own build, for the @playwright/test version the e2e tests use: instant when it is
// already there, a download otherwise.
const version = JSON.parse(readFileSync(path.join(e2e, "package.json"), "utf8")).devDependencies[
  "@playwright/test"
];
say(`no Chromium found; trying Playwright's download (npx playwright@${version} install chromium)`);
const playwright = spawnSync(
  "npx",
  ["-y", `--package=playwright@${version}`, "--", "playwright", "install", "chromium"],
  {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: DOWNLOAD_TIMEOUT_MS,
    encoding: "utf8",
  },
);
if (playwright.status === 0) process.exit(0);
fail(INSTALL_HINT);

function installOptionalTools() {
  if (!canApt) return;
  const missing = OPTIONAL_PACKAGES.filter((name) => !debianPackageInstalled(name));
  if (missing.length > 0) aptInstall(missing);
}

function aptInstall(packages) {
  say(`apt-get install ${packages.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const update = spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  if (update.status !== 0) return;
  spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { stdio: "inherit", env });
}

/** Asks dpkg rather than `command -v`: the perl modules swaks needs for TLS and SASL have no command. */
function debianPackageInstalled(name) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own field syntax, not JavaScript's.
  const query = spawnSync("dpkg-query", ["-W", "-f=${Status}", name], { encoding: "utf8" });
  return query.status === 0 && query.stdout.includes("install ok installed");
}

function commandExists(name) {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
