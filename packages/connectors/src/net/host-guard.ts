import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { promises as dns } from "node:dns";
import ipaddr from "ipaddr.js";
import { ConnectorError } from "@sis-sync/roster";

/**
 * Outbound connections to SIS hosts must not reach the service's own network: private,
 * loopback, link-local (incl. cloud metadata 169.254.169.254), unique-local, CGNAT and
 * multicast ranges are refused unless SIS_ALLOW_PRIVATE_HOSTS=true (tests, development).
 */
const ALLOWED_RANGES = new Set(["unicast"]);

export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return ALLOWED_RANGES.has(parsed.range());
}

export interface HostPolicy {
  allowPrivateHosts: boolean;
}

/** Resolves `host` and throws HOST_NOT_ALLOWED when any of its addresses is not public. */
export async function assertHostAllowed(host: string, policy: HostPolicy): Promise<void> {
  if (policy.allowPrivateHosts) return;
  const bare = host.replace(/^\[|\]$/g, "");
  const addresses = ipaddr.isValid(bare) ? [bare] : (await dns.lookup(bare, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new ConnectorError("UNREACHABLE", `Could not resolve host ${host}`);
  const bad = addresses.find((a) => !isPublicAddress(a));
  if (bad) throw new ConnectorError("HOST_NOT_ALLOWED", `Host ${host} resolves to ${bad}, a private or reserved address; refusing to connect`);
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s) agents and sockets that checks every address actually connected
 * to, so DNS rebinding and redirects to private hosts are refused too.
 */
export function guardedLookup(policy: HostPolicy) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "");
      const list = addresses as LookupAddress[];
      const bad = policy.allowPrivateHosts ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad) {
        const e = new ConnectorError("HOST_NOT_ALLOWED", `Host ${hostname} resolves to ${bad.address}, a private or reserved address; refusing to connect`) as ConnectorError & NodeJS.ErrnoException;
        e.code = "EHOSTNOTALLOWED" as never;
        return callback(e, "");
      }
      if (options.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
