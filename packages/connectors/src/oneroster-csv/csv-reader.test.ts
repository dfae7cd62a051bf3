import { Readable } from "node:stream";
import { ConnectorError } from "@sis-sync/roster";
import { readCsv, type CsvItem } from "./csv-reader";

function streamOf(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((c) => (typeof c === "string" ? Buffer.from(c, "utf8") : c)));
}

async function readAll(stream: Readable, requiredColumns: string[] = ["sourcedId"], maxRecordChars?: number): Promise<CsvItem[]> {
  const out: CsvItem[] = [];
  for await (const batch of readCsv(stream, { fileName: "users.csv", requiredColumns, maxRecordChars })) out.push(...batch);
  return out;
}

describe("readCsv", () => {
  it("reads rows by header name with the line each starts on, across BOM, CRLF, quoted commas and newlines", async () => {
    const text = '\uFEFFsourcedId,givenName,note\r\nu1,Ann,"a, b"\r\nu2,"Bo ""B"" Lee","line one\r\nline two"\r\n\r\nu3,Cy,\r\n';
    const items = await readAll(streamOf(text));
    expect(items).toEqual([
      { row: { line: 2, values: { sourcedId: "u1", givenName: "Ann", note: "a, b" } } },
      { row: { line: 3, values: { sourcedId: "u2", givenName: 'Bo "B" Lee', note: "line one\r\nline two" } } },
      { row: { line: 6, values: { sourcedId: "u3", givenName: "Cy", note: "" } } },
    ]);
  });

  it("gives the same rows whatever the chunk boundaries (split UTF-8, split quote pairs, split CRLF)", async () => {
    const text = 'sourcedId,givenName,note\r\nu1,Zoë,"say ""hi"", ok"\r\nu2,Renée,"x\ny"\r\n';
    const bytes = Buffer.from(text, "utf8");
    const whole = await readAll(streamOf(bytes));
    for (let size = 1; size <= 7; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(await readAll(streamOf(...chunks))).toEqual(whole);
    }
    expect(whole).toEqual([
      { row: { line: 2, values: { sourcedId: "u1", givenName: "Zoë", note: 'say "hi", ok' } } },
      { row: { line: 3, values: { sourcedId: "u2", givenName: "Renée", note: "x\ny" } } },
    ]);
  });

  it("ignores unknown extra columns without failing and keeps a row's text when its field count is wrong", async () => {
    const items = await readAll(streamOf("sourcedId,vendorExtra,givenName\nu1,x,Ann\nu2,Bob\nu3,y,Cy,extra\nu4,z,Di\n"));
    expect(items).toEqual([
      { row: { line: 2, values: { sourcedId: "u1", vendorExtra: "x", givenName: "Ann" } } },
      { error: { line: 3, text: "u2,Bob", message: "the row has 2 fields but the header has 3" } },
      { error: { line: 4, text: "u3,y,Cy,extra", message: "the row has 4 fields but the header has 3" } },
      { row: { line: 5, values: { sourcedId: "u4", vendorExtra: "z", givenName: "Di" } } },
    ]);
  });

  it("reports a stray quote as a row error without shifting the rows after it", async () => {
    const items = await readAll(streamOf('sourcedId,givenName\nu1,"Ann"x\nu2,Bo\n'));
    expect(items[0]).toEqual({ error: expect.objectContaining({ line: 2, text: 'u1,"Ann"x' }) });
    expect(items[1]).toEqual({ row: { line: 3, values: { sourcedId: "u2", givenName: "Bo" } } });
  });

  it("never copies a dropped column into a row", async () => {
    const out: CsvItem[] = [];
    for await (const batch of readCsv(streamOf("sourcedId,password,givenName\nu1,hunter2,Ann\n"), { fileName: "users.csv", requiredColumns: [], dropColumns: ["password"] })) out.push(...batch);
    expect(out).toEqual([{ row: { line: 2, values: { sourcedId: "u1", givenName: "Ann" } } }]);
  });

  it("fails the file naming the missing required column", async () => {
    await expect(readAll(streamOf("sourcedId,givenName\nu1,Ann\n"), ["sourcedId", "role"])).rejects.toThrow(
      new ConnectorError("BAD_FILE", "users.csv is missing required column 'role'"),
    );
  });

  it("treats header names as case-sensitive (OneRoster §4.1)", async () => {
    await expect(readAll(streamOf("SourcedId,role\nu1,student\n"), ["sourcedId"])).rejects.toThrow("users.csv is missing required column 'sourcedId'");
  });

  it("fails an empty file as having no header", async () => {
    await expect(readAll(streamOf(""))).rejects.toThrow("users.csv is empty: the OneRoster header row is missing");
  });

  it("fails a 100 MB single line with a clear error after reading only a little past the limit", async () => {
    let produced = 0;
    const chunk = Buffer.alloc(64 * 1024, "a");
    const huge = new Readable({
      read() {
        if (produced === 0) this.push("sourcedId,givenName\nu1,");
        if (produced >= 100 * 1024 * 1024) return this.push(null);
        produced += chunk.length;
        this.push(chunk);
      },
    });
    const err = await readAll(huge).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).code).toBe("BAD_FILE");
    expect((err as ConnectorError).message).toBe(
      "users.csv line 2: a record is longer than 1048576 characters (an unclosed quote or a broken file); refusing to read further",
    );
    expect(produced).toBeLessThan(2 * 1024 * 1024);
  });

  it("reads ahead only a bounded amount while the consumer holds a batch (backpressure)", async () => {
    let produced = 0;
    const rows = Buffer.from("u1,Ann,Lee\n".repeat(1000));
    const endless = new Readable({
      read() {
        produced += rows.length;
        this.push(rows);
      },
    });
    endless.push("sourcedId,givenName,familyName\n");
    const gen = readCsv(endless, { fileName: "users.csv", requiredColumns: ["sourcedId"] });
    const first = await gen.next();
    expect((first.value as CsvItem[])[0]).toEqual({ row: { line: 2, values: { sourcedId: "u1", givenName: "Ann", familyName: "Lee" } } });
    await new Promise((r) => setTimeout(r, 200));
    expect(produced).toBeLessThan(128 * 1024);
    await gen.return();
    expect(endless.destroyed).toBe(true);
  });

  it("fails on an unclosed quote that would swallow the rest of the file", async () => {
    const rows = Array.from({ length: 500 }, (_, i) => `u${i},name${i}`).join("\n");
    await expect(readAll(streamOf(`sourcedId,givenName\nu0,"open\n${rows}\n`), ["sourcedId"], 1000)).rejects.toThrow(
      "users.csv line 2: a record is longer than 1000 characters",
    );
  });
});
