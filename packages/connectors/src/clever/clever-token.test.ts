import { ConnectorError } from "@sis-sync/roster";
import type { CleverGetJson } from "./clever-paging";
import { cleverBasicAuth, fetchCleverDistrictToken } from "./clever-token";

const signal = new AbortController().signal;

describe("cleverBasicAuth", () => {
  it("encodes client_id:client_secret as HTTP Basic", () => {
    expect(cleverBasicAuth("app-id", "s3cr:et")).toBe(`Basic ${Buffer.from("app-id:s3cr:et").toString("base64")}`);
  });
});

describe("fetchCleverDistrictToken", () => {
  it("asks for the district's token and returns the one owned by that district", async () => {
    const calls: unknown[] = [];
    const getJson: CleverGetJson = async (url, opts) => {
      calls.push({ url, query: opts.query });
      return {
        body: {
          data: [
            { id: "1", owner: { type: "district", id: "other" }, access_token: "tok-other" },
            { id: "2", owner: { type: "district", id: "d1" }, access_token: "tok-d1", scopes: ["read:students"] },
          ],
          links: [{ rel: "self", uri: "/oauth/tokens?owner_type=district" }],
        },
      };
    };
    await expect(fetchCleverDistrictToken(getJson, { tokenUrl: "https://clever.com/oauth/tokens", districtId: "d1", signal })).resolves.toBe("tok-d1");
    expect(calls).toEqual([{ url: "https://clever.com/oauth/tokens", query: { owner_type: "district", district: "d1" } }]);
  });

  it("fails with AUTH_FAILED naming the district when the app has no token for it", async () => {
    const getJson: CleverGetJson = async () => ({ body: { data: [] } });
    await expect(fetchCleverDistrictToken(getJson, { tokenUrl: "http://t", districtId: "d7", signal })).rejects.toMatchObject({
      code: "AUTH_FAILED",
      message: "Clever has no token for district d7: the district has not authorised this app, or the district ID is wrong",
    });
  });

  it("turns a refused Basic credential into a message about the app credentials", async () => {
    const getJson: CleverGetJson = async () => {
      throw new ConnectorError("AUTH_FAILED", "HTTP 401");
    };
    await expect(fetchCleverDistrictToken(getJson, { tokenUrl: "http://t", districtId: "d1", signal })).rejects.toMatchObject({
      code: "AUTH_FAILED",
      message: "Clever refused the client ID and secret when asked for the district token; check the app credentials",
    });
  });

  it("rejects a token response without a data list", async () => {
    const getJson: CleverGetJson = async () => ({ body: { error: "x" } });
    await expect(fetchCleverDistrictToken(getJson, { tokenUrl: "http://t", districtId: "d1", signal })).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });
});
