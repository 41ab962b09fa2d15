import { describe, expect, it } from "vitest";
import { describeStore } from "../store/store-location.js";
import { ConfigError } from "./config-error.js";
import { type CliCommand, parseCommandLine } from "./parse-config.js";

const CWD = "/srv/app";
const URL_WITH_PASSWORD = "postgres://mailnest:s3cret-pw@db.internal:5432/sandbox";

function storeOf(argv: string[], env: Record<string, string> = {}) {
  const command: CliCommand = parseCommandLine(argv, env, CWD);
  if (command.kind !== "run") throw new Error(`expected a run command, got ${command.kind}`);
  return { dataDir: command.config.dataDir, databaseUrl: command.config.databaseUrl };
}

function reasonFor(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(argv, env, CWD);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe("--store", () => {
  it("a postgres:// URL puts messages in PostgreSQL and keeps no folder unless --data-dir is given", () => {
    expect(storeOf(["--store", URL_WITH_PASSWORD])).toEqual({
      dataDir: null,
      databaseUrl: URL_WITH_PASSWORD,
    });
    expect(storeOf(["--store", "postgresql://db/x", "--data-dir", "local"])).toEqual({
      dataDir: "/srv/app/local",
      databaseUrl: "postgresql://db/x",
    });
  });

  it("MAILNEST_DATABASE_URL does the same, and --store on the command line wins over it", () => {
    expect(storeOf([], { MAILNEST_DATABASE_URL: URL_WITH_PASSWORD })).toEqual({
      dataDir: null,
      databaseUrl: URL_WITH_PASSWORD,
    });
    expect(storeOf(["--store", "memory"], { MAILNEST_DATABASE_URL: URL_WITH_PASSWORD })).toEqual({
      dataDir: null,
      databaseUrl: null,
    });
  });

  it("memory and a folder mean what --in-memory and --data-dir mean, which keep working", () => {
    expect(storeOf(["--store", "memory"])).toEqual({ dataDir: null, databaseUrl: null });
    expect(storeOf(["--store", "mail"])).toEqual({ dataDir: "/srv/app/mail", databaseUrl: null });
    expect(storeOf(["--data-dir", "mail"])).toEqual({ dataDir: "/srv/app/mail", databaseUrl: null });
    expect(storeOf(["--in-memory"])).toEqual({ dataDir: null, databaseUrl: null });
    expect(storeOf([])).toEqual({ dataDir: "/srv/app/.mailnest", databaseUrl: null });
  });

  it("refuses two answers to where messages live, and other URL schemes, without showing the password", () => {
    expect(reasonFor(["--store", URL_WITH_PASSWORD, "--in-memory"])).toMatch(/--in-memory and --store/);
    expect(reasonFor(["--store", "memory", "--data-dir", "x"])).toMatch(/give one of them/);
    const scheme = reasonFor(["--store", "mysql://root:s3cret-pw@db/x"]);
    expect(scheme).toMatch(/mysql:\/\/ URL/);
    expect(scheme).not.toContain("s3cret-pw");
    expect(reasonFor([], { MAILNEST_DATABASE_URL: "/var/mail" })).toMatch(
      /MAILNEST_DATABASE_URL: expected a postgres/,
    );
  });
});

describe("describeStore", () => {
  it("names the store and never shows the password", () => {
    expect(describeStore({ databaseUrl: URL_WITH_PASSWORD, dataDir: null })).toEqual({
      kind: "postgres",
      location: "postgres://mailnest:***@db.internal:5432/sandbox",
    });
    expect(describeStore({ databaseUrl: "postgres://db/x?password=s3cret-pw", dataDir: null }).location).toBe(
      "postgres://db/x?password=***",
    );
    expect(describeStore({ databaseUrl: null, dataDir: "/srv/mail" })).toEqual({
      kind: "files",
      location: "/srv/mail",
    });
    expect(describeStore({ databaseUrl: null, dataDir: null })).toEqual({ kind: "memory", location: null });
  });
});
