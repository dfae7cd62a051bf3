import { FingerprintSet } from "./fingerprint-set";

describe("FingerprintSet", () => {
  it("claims each held fingerprint once and lists the unclaimed ones, across growth", () => {
    const set = new FingerprintSet();
    for (let i = 0; i < 10_000; i++) set.add(i * 7919, -i);
    set.add(7919, -1); // already held
    expect(set.size).toBe(10_000);
    for (let i = 0; i < 10_000; i += 2) expect(set.claim(i * 7919, -i)).toBe("unchanged");
    expect(set.claim(0, 0)).toBe("again");
    expect(set.claim(1, 1)).toBe("unknown");
    const left = [...set.unclaimed()].sort((a, b) => a[0] - b[0]);
    expect(left).toHaveLength(5_000);
    expect(left[0]).toEqual([7919, -1]);
    expect(left.every(([hi, lo]) => hi === -lo * 7919)).toBe(true);
  });

  it("keeps (0, 0) and negative halves as ordinary keys", () => {
    const set = new FingerprintSet(2);
    set.add(0, 0);
    set.add(-1, -2147483648);
    expect(set.claim(0, 0)).toBe("unchanged");
    expect([...set.unclaimed()]).toEqual([[-1, -2147483648]]);
  });
});
