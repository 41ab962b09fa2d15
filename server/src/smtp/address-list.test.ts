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
    // As sent: a search for the address the app wrote finds it.
    ["ann@xn--bcher-kva.example", [{ name: "", address: "ann@xn--bcher-kva.example" }]],
    // Inside brackets: quotes keep their spaces and a `>`, comments go (RFC 5322 Appendix A.5).
    ['<"john doe"@example.test>', [{ name: "", address: '"john doe"@example.test' }]],
    [
      'Name <"a>b"@example.test>, c@example.test',
      [
        { name: "Name", address: '"a>b"@example.test' },
        { name: "", address: "c@example.test" },
      ],
    ],
    [
      "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
      [{ name: "Pete", address: "pete@silly.test" }],
    ],
    ["Chris Jones <c@(Chris's host.)public.example>", [{ name: "Chris Jones", address: "c@public.example" }]],
    // Broken punctuation: no address made up, no recipient lost.
    [
      "Name <a@example.test, b@example.test",
      [
        { name: "Name", address: "a@example.test" },
        { name: "", address: "b@example.test" },
      ],
    ],
    ["b@[IPv6:::1]", [{ name: "", address: "b@[IPv6:::1]" }]],
    ["John Doe john@example.test", [{ name: "John Doe", address: "john@example.test" }]],
    [
      "a@example.test b@example.test",
      [
        { name: "", address: "a@example.test" },
        { name: "", address: "b@example.test" },
      ],
    ],
    [
      "Name a@example.test>, b@example.test",
      [
        { name: "Name", address: "a@example.test" },
        { name: "", address: "b@example.test" },
      ],
    ],
    [
      "a@example.test), b@example.test",
      [
        { name: "", address: "a@example.test" },
        { name: "", address: "b@example.test" },
      ],
    ],
    ["Ann Lee", [{ name: "Ann Lee", address: "" }]],
    // A quoted "@" is a word of the name, not an addr-spec's.
    ['"@" Ann <a@example.test>', [{ name: "@ Ann", address: "a@example.test" }]],
    ['Ann "@" <a@example.test>', [{ name: "Ann @", address: "a@example.test" }]],
    ["<>", []],
    ["", []],
  ])("reads %j", (value, expected) => {
    expect(parseAddressList(value)).toEqual(expected);
  });

  it("reads hostile headers of 500 KB in one pass (a colon run after brackets took minutes)", {
    timeout: 10_000,
  }, () => {
    const words = "a ".repeat(100_000);
    expect(parseAddressList(`${words}<x@y.test>${":".repeat(300_000)}`)).toEqual([
      { name: words.trim(), address: "x@y.test" },
    ]);
    for (const hostile of [
      ",".repeat(500_000),
      "(".repeat(500_000),
      "<".repeat(500_000),
      "[".repeat(500_000),
      "<a,".repeat(150_000),
      "a@b ".repeat(100_000),
      `"${"a".repeat(500_000)}`,
    ]) {
      expect(Array.isArray(parseAddressList(hostile))).toBe(true);
    }
    expect(parseAddressList("a@b ".repeat(100_000))).toHaveLength(100_000);
  });

  it("keeps every mailbox of a From that names several (RFC 5322 §3.6.2)", () => {
    expect(parseAddressList("A <a@example.test>, B <b@example.test>").map((a) => a.address)).toEqual([
      "a@example.test",
      "b@example.test",
    ]);
  });
});
