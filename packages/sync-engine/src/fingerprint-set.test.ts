import { FingerprintSet } from "./fingerprint-set";

const fp = (i: number): [number, number] => [(i * 7919) | 0, -i | 0];
const held = (n: number) => {
  const set = new FingerprintSet();
  for (let i = 0; i < n; i++) set.add(...fp(i));
  set.seal();
  return set;
};

describe("FingerprintSet", () => {
  it("walks the list in load order past removed links, new records and swapped neighbours, across growth", () => {
    const set = held(10_000);
    expect(set.size).toBe(10_000);
    const removed = (i: number) => i % 10 === 3 || (i >= 5_000 && i < 5_300); // one class of 300 gone
    for (let i = 0; i < 10_000; i++) {
      if (removed(i)) continue;
      const at = i % 100 === 50 ? i + 1 : i % 100 === 51 ? i - 1 : i; // delivered swapped
      expect(set.claim(...fp(at))).toBe("unchanged");
      if (i % 7 === 0) expect(set.claim(i, i + 1)).toBe("unknown"); // new
    }
    const left = [...set.unclaimed()];
    expect(left).toEqual(Array.from({ length: 10_000 }, (_, i) => i).filter(removed).map(fp));
  });

  it("tells a second identical copy delivered next to the first", () => {
    const set = held(100);
    expect(set.claim(...fp(5))).toBe("unchanged");
    expect(set.claim(...fp(5))).toBe("again");
    expect(set.claim(...fp(6))).toBe("unchanged");
    expect(set.claim(...fp(5))).toBe("again");
  });

  it("stages (unknown) what it cannot find near the cursor until misses pile up, then looks everything up", () => {
    const n = 100_000;
    const set = held(n);
    const threshold = 1024 + n / 32;
    const results = { unchanged: 0, again: 0, unknown: 0 };
    for (let i = n - 1; i >= 0; i--) results[set.claim(...fp(i))]++; // a source in the reverse order
    expect(results).toEqual({ unchanged: n - threshold, again: 0, unknown: threshold });
    expect([...set.unclaimed()]).toHaveLength(threshold);
    // With the index built, a copy far from the cursor is known again.
    expect(set.claim(...fp(10))).toBe("again");
    expect(set.claim(...fp(n - 1))).toBe("unchanged");
    expect(set.claim(-5, 5)).toBe("unknown");
  });

  it("claims near the front while the list still loads, and asks for all of it before using an index", () => {
    const set = new FingerprintSet();
    for (let i = 0; i < 600; i++) set.add(...fp(i));
    expect(set.reach(100)).toBe(100 + 512);
    for (let i = 0; i < 80; i++) expect(set.claim(...fp(i))).toBe("unchanged");
    expect(set.reach(100)).toBe(80 + 100 + 512);
    for (let i = 0; i < 1100; i++) expect(set.claim(-i, i)).toBe("unknown");
    expect(set.wantsEverything).toBe(true);
    expect(set.claim(...fp(5))).toBe("unknown"); // behind the window, and no index without every link
    for (let i = 600; i < 2000; i++) set.add(...fp(i));
    set.seal();
    expect(set.wantsEverything).toBe(false);
    expect(set.claim(...fp(5))).toBe("again");
    expect(set.claim(...fp(1999))).toBe("unchanged");
  });

  it("keeps (0, 0) and negative halves as ordinary keys", () => {
    const set = new FingerprintSet(2);
    set.add(0, 0);
    set.add(-1, -2147483648);
    set.seal();
    expect(set.claim(-1, -2147483648)).toBe("unchanged");
    expect(set.claim(0, 0)).toBe("unchanged");
    expect([...set.unclaimed()]).toEqual([]);
    expect(set.claim(0, 1)).toBe("unknown");
  });
});
