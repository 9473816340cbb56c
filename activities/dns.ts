// Name resolution as the lab sees it: the target's DNS server when it has one (the sandbox's
// Route53 emulation), the system resolver on AWS.
import { Resolver } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import type { Target } from './target.js';

export function resolver(target: Target): Resolver {
  const r = new Resolver({ timeout: 2_000, tries: 1 });
  if (target.dnsServer) r.setServers([target.dnsServer]);
  return r;
}

/**
 * The pause between lookups of a name not yet resolvable: a DNS query is no API call (nothing
 * throttles it per account), and Route53 itself makes a change visible within about a minute
 * (Route53 API reference, GetChange: INSYNC), which half-second lookups notice within half a second.
 */
export const dnsPolling = 500;

/** The name's IPv4 addresses, or [] when it does not resolve (yet). */
export async function resolveA(target: Target, name: string): Promise<string[]> {
  try {
    return await resolver(target).resolve4(name);
  } catch (err) {
    if (['ENOTFOUND', 'ENODATA'].includes((err as NodeJS.ErrnoException).code ?? '')) return [];
    throw err;
  }
}

/** A `lookup` for node:http that resolves through the target's DNS. */
export function lookupThrough(target: Target): LookupFunction {
  return (hostname, options, callback) => {
    resolveA(target, hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), '', 4);
        } else if (options.all) {
          callback(
            null,
            addresses.map((address) => ({ address, family: 4 })),
          );
        } else {
          callback(null, addresses[0]!, 4);
        }
      },
      (err: Error) => callback(err, '', 4),
    );
  };
}
