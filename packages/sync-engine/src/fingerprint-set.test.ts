import { BinaryBigintCopyReader, FingerprintSet } from "./fingerprint-set";

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

describe("BinaryBigintCopyReader", () => {
  function copyBinary(values: bigint[]): Buffer {
    const header = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
    const rows = values.map((v) => {
      const b = Buffer.alloc(14);
      b.writeInt16BE(1, 0);
      b.writeInt32BE(8, 2);
      b.writeBigInt64BE(v, 6);
      return b;
    });
    const trailer = Buffer.alloc(2);
    trailer.writeInt16BE(-1, 0);
    return Buffer.concat([header, ...rows, trailer]);
  }

  it("reads every value whatever the chunking", () => {
    const values = [0n, 1n, -1n, 9223372036854775807n, -9223372036854775808n, 0x1234567890abcdefn];
    const whole = copyBinary(values);
    for (const size of [1, 3, 13, 14, 1000]) {
      const got: bigint[] = [];
      const reader = new BinaryBigintCopyReader((hi, lo) => got.push(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0))));
      for (let i = 0; i < whole.length; i += size) reader.push(whole.subarray(i, i + size));
      expect(got).toEqual(values);
      expect(reader.done).toBe(true);
    }
  });
});
