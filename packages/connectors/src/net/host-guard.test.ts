import { assertHostAllowed, guardedLookup, isPublicAddress } from "./host-guard";

describe("host guard", () => {
  it.each(["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "fe80::1", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1"])(
    "refuses %s",
    (ip) => expect(isPublicAddress(ip)).toBe(false),
  );
  it.each(["8.8.8.8", "2606:4700:4700::1111", "52.1.2.3"])("allows %s", (ip) => expect(isPublicAddress(ip)).toBe(true));

  it("refuses a host that resolves to loopback unless private hosts are allowed", async () => {
    await expect(assertHostAllowed("localhost", { allowPrivateHosts: false })).rejects.toThrow(/private or reserved/);
    await expect(assertHostAllowed("169.254.169.254", { allowPrivateHosts: false })).rejects.toThrow(/169\.254\.169\.254/);
    await expect(assertHostAllowed("localhost", { allowPrivateHosts: true })).resolves.toBeUndefined();
  });

  it("checks the address actually connected to", (done) => {
    guardedLookup({ allowPrivateHosts: false })("localhost", {}, (err) => {
      expect(err?.message).toMatch(/refusing to connect/);
      done();
    });
  });
});
