import { failureMessage, isConnectionLost, retryWhileDisconnected } from "./sync-processor";

describe("failureMessage", () => {
  it("explains a lost database connection and that nothing was deactivated", () => {
    const e = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });
    expect(failureMessage(e, "load")).toBe(
      "Lost the connection to the database during the load phase (terminating connection due to administrator command); the load was rolled back and nothing was deactivated. The next run repairs the roster.",
    );
    expect(failureMessage(new Error("Connection terminated unexpectedly"), "stage")).toMatch(/^Lost the connection to the database during the stage phase/);
    // A query on a pg client whose connection died a moment earlier (the 'error' event came first).
    expect(failureMessage(new Error("Client has encountered a connection error and is not queryable"), "load")).toMatch(/^Lost the connection to the database during the load phase/);
  });

  it("sees a lost connection through drizzle's query wrapper", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    expect(isConnectionLost(new Error("Failed query: begin\nparams: ", { cause: refused }))).toBe(true);
    expect(isConnectionLost(new Error("Failed query: begin\nparams: ", { cause: Object.assign(new Error("the database system is starting up"), { code: "57P03" }) }))).toBe(true);
    expect(isConnectionLost(new Error("duplicate key value violates unique constraint"))).toBe(false);
  });

  it("names the phase of any other unexpected failure", () => {
    expect(failureMessage(new Error("boom"), "extract")).toBe("Sync failed unexpectedly during the extract phase: boom");
  });
});

describe("retryWhileDisconnected", () => {
  const log = { warn: () => undefined };
  const lost = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });

  it("writes the run's terminal state once Postgres answers again", async () => {
    let calls = 0;
    const write = async () => {
      if (++calls < 3) throw new Error("Failed query: begin", { cause: lost() });
      return true;
    };
    await expect(retryWhileDisconnected(write, 5_000, log)).resolves.toBe(true);
    expect(calls).toBe(3);
  });

  it("does not retry other errors, and gives up after its time", async () => {
    let calls = 0;
    await expect(retryWhileDisconnected(async () => (calls++, Promise.reject(new Error("boom"))), 5_000, log)).rejects.toThrow("boom");
    expect(calls).toBe(1);
    await expect(retryWhileDisconnected(() => Promise.reject(lost()), 300, log)).rejects.toThrow("ECONNREFUSED");
  });
});
