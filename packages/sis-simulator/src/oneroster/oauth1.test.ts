import { createHmac } from "node:crypto";
import OAuth from "oauth-1.0a";
import { OAuth1Verifier, rfc3986, signatureBaseString } from "./oauth1";

const KEY = "client-id";
const SECRET = "s3cret&'!";

/** Signs like an independent client library (oauth-1.0a), HMAC-SHA256 as ClassLink's library does. */
function sign(url: string, secret = SECRET, timestamp?: number) {
  const oauth = new OAuth({
    consumer: { key: KEY, secret },
    signature_method: "HMAC-SHA256",
    hash_function: (base, key) => createHmac("sha256", key).update(base).digest("base64"),
  });
  const data = oauth.authorize({ url, method: "GET" });
  if (timestamp !== undefined) {
    data.oauth_timestamp = timestamp;
    const { oauth_signature: _old, ...unsigned } = data;
    data.oauth_signature = oauth.getSignature({ url, method: "GET" }, undefined, unsigned as OAuth.Authorization);
  }
  return oauth.toHeader(data).Authorization;
}

function split(url: string): [string, string] {
  const [base, query = ""] = url.split("?");
  return [base, query];
}

describe("OAuth1Verifier", () => {
  const url = `http://127.0.0.1:1234/ims/oneroster/v1p1/users?limit=100&offset=200&filter=${encodeURIComponent("role='student' AND familyName~'O''Brien'")}`;

  it("accepts a request signed by an independent OAuth 1.0a library", () => {
    const [base, query] = split(url);
    expect(new OAuth1Verifier(KEY, SECRET).verify("GET", base, query, sign(url))).toEqual({ ok: true });
  });

  it("rejects a signature made with the wrong secret", () => {
    const [base, query] = split(url);
    expect(new OAuth1Verifier(KEY, SECRET).verify("GET", base, query, sign(url, "wrong"))).toEqual({ ok: false, reason: "invalid signature" });
  });

  it("rejects a request whose query was changed after signing", () => {
    const [base] = split(url);
    const result = new OAuth1Verifier(KEY, SECRET).verify("GET", base, "limit=100&offset=300", sign(url));
    expect(result).toEqual({ ok: false, reason: "invalid signature" });
  });

  it("rejects a correctly signed request whose timestamp is older than five minutes", () => {
    const [base, query] = split(url);
    const now = Math.floor(Date.now() / 1000);
    const verifier = new OAuth1Verifier(KEY, SECRET);
    expect(verifier.verify("GET", base, query, sign(url, SECRET, now - 299))).toEqual({ ok: true });
    expect(verifier.verify("GET", base, query, sign(url, SECRET, now - 301))).toEqual({ ok: false, reason: "stale or missing timestamp" });
  });

  it("rejects a nonce it has already seen", () => {
    const [base, query] = split(url);
    const verifier = new OAuth1Verifier(KEY, SECRET);
    const header = sign(url);
    expect(verifier.verify("GET", base, query, header).ok).toBe(true);
    expect(verifier.verify("GET", base, query, header)).toEqual({ ok: false, reason: "nonce already used" });
  });

  it("rejects an unknown consumer key and a malformed header", () => {
    const [base, query] = split(url);
    expect(new OAuth1Verifier("other", SECRET).verify("GET", base, query, sign(url)).ok).toBe(false);
    expect(new OAuth1Verifier(KEY, SECRET).verify("GET", base, query, "Bearer x")).toEqual({ ok: false, reason: "malformed OAuth header" });
  });

  it("builds the base string over sorted, RFC 3986-encoded parameters", () => {
    const params = new Map([
      ["oauth_consumer_key", "k"],
      ["oauth_nonce", "n"],
      ["oauth_signature_method", "HMAC-SHA256"],
      ["oauth_timestamp", "1"],
    ]);
    expect(signatureBaseString("get", "http://h/p", "offset=0&filter=name%3D%27O%27%27B%27", params)).toBe(
      "GET&http%3A%2F%2Fh%2Fp&filter%3Dname%253D%2527O%2527%2527B%2527%26oauth_consumer_key%3Dk%26oauth_nonce%3Dn%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1%26offset%3D0",
    );
    expect(rfc3986("a'b!c(d)*")).toBe("a%27b%21c%28d%29%2A");
  });
});
