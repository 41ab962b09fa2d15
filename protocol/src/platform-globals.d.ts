// The two WHATWG globals the contract uses. They exist in Node, browsers and edge runtimes alike, but
// the package compiles with no Node or DOM types (so nothing Node-only slips in): declare just them.
declare class URL {
  constructor(url: string, base?: string);
  readonly hostname: string;
}
declare class URLSearchParams {
  set(name: string, value: string): void;
  toString(): string;
}
