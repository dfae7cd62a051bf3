import { copyLine, copyValue, pgArrayLiteral, rawJson } from "./copy-text";

describe("COPY text encoding", () => {
  it("escapes tabs, newlines and backslashes and writes \\N for null", () => {
    expect(copyLine(["a\tb", null, "c\\d\ne", true, 3])).toBe("a\\tb\t\\N\tc\\\\d\\ne\tt\t3\n");
  });
  it("quotes array elements so commas, quotes and braces survive", () => {
    expect(pgArrayLiteral(["KG", 'a,"b"}'])).toBe('{"KG","a,\\"b\\"}"}');
    expect(copyValue(["x\\y"])).toBe('{"x\\\\\\\\y"}');
    expect(copyValue([])).toBe("{}");
  });
  it("turns unserialisable raw JSON into null", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(rawJson(circular)).toBeNull();
    expect(rawJson({ a: 1 })).toBe('{"a":1}');
  });
});
