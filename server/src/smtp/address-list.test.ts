import { describe, expect, it } from "vitest";
import { parseAddressList } from "./address-list.js";

describe("parseAddressList", () => {
  it.each([
    ["ann@example.test", [{ name: "", address: "ann@example.test" }]],
    ["Ann Lee <ann@example.test>", [{ name: "Ann Lee", address: "ann@example.test" }]],
    [
      '"Lee, Ann" <ann@example.test>, bob@example.test',
      [
        { name: "Lee, Ann", address: "ann@example.test" },
        { name: "", address: "bob@example.test" },
      ],
    ],
    // A bare local part, as cron writes on one host, is an address, not the next name's start.
    [
      "root, Bob <bob@example.test>, alice",
      [
        { name: "", address: "root" },
        { name: "Bob", address: "bob@example.test" },
        { name: "", address: "alice" },
      ],
    ],
    // Folding whitespace in a name reads as one space, whatever the message's size.
    [
      "Very Long\r\n  Name   Here <v@example.test>",
      [{ name: "Very Long Name Here", address: "v@example.test" }],
    ],
    // Decoded after the split: an encoded comma or angle bracket stays in the name.
    [
      "=?UTF-8?B?RXZpbCwgPGFkbWluQGJhbmsudGVzdD4=?= <x@example.test>",
      [{ name: "Evil, <admin@bank.test>", address: "x@example.test" }],
    ],
    [
      "=?UTF-8?Q?Zo=C3=AB?= =?UTF-8?Q?_Caf=C3=A9?= <z@example.test>",
      [{ name: "Zoë Café", address: "z@example.test" }],
    ],
    ["ann@example.test (Ann Lee)", [{ name: "Ann Lee", address: "ann@example.test" }]],
    ["Ann (the boss) <ann@example.test>", [{ name: "Ann", address: "ann@example.test" }]],
    [
      "Team: ann@example.test, Bob <bob@example.test>;, carol@example.test",
      [
        { name: "", address: "ann@example.test" },
        { name: "Bob", address: "bob@example.test" },
        { name: "", address: "carol@example.test" },
      ],
    ],
    ["undisclosed-recipients:;", []],
    ["<@relay.test:ann@example.test>", [{ name: "", address: "ann@example.test" }]],
    ['"john doe"@example.test', [{ name: "", address: '"john doe"@example.test' }]],
    ["ann@xn--bcher-kva.example", [{ name: "", address: "ann@bücher.example" }]],
    ["Ann Lee", [{ name: "Ann Lee", address: "" }]],
    ["<>", []],
    ["", []],
  ])("reads %j", (value, expected) => {
    expect(parseAddressList(value)).toEqual(expected);
  });

  it("keeps every mailbox of a From that names several (RFC 5322 §3.6.2)", () => {
    expect(parseAddressList("A <a@example.test>, B <b@example.test>").map((a) => a.address)).toEqual([
      "a@example.test",
      "b@example.test",
    ]);
  });
});
