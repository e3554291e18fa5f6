import ipaddr from 'ipaddr.js';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** The limited broadcast address. */
export const LIMITED_BROADCAST = '255.255.255.255';

/**
 * Where a discovery broadcast goes: 255.255.255.255, which Linux sends out of the default route's
 * interface only, plus the directed broadcast address of every other IPv4 interface, so a gateway
 * with one port on the office network and one on the controllers' network reaches both.
 * Loopback and point-to-point (/31, /32) interfaces have no broadcast address and are left out.
 */
export function broadcastAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): string[] {
  const out = new Set<string>([LIMITED_BROADCAST]);
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family !== 'IPv4' || info.internal || info.cidr === null) continue;
      if (!ipaddr.IPv4.isValidCIDR(info.cidr)) continue;
      const [, prefix] = ipaddr.IPv4.parseCIDR(info.cidr);
      if (prefix >= 31) continue;
      out.add(ipaddr.IPv4.broadcastAddressFromCIDR(info.cidr).toString());
    }
  }
  return [...out];
}
