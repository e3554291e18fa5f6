/**
 * Temco's T3 discovery datagrams (UDP 1234): the query, and the reply parsed by byte offset.
 * Offsets are those of issue 13, checked against Temco's firmware and PC tool; they correct
 * SPEC §6 where it differs.
 */

/** The UDP port T3 controllers listen on for the discovery query. */
export const DISCOVERY_PORT = 1234;

/** The query: `0x64` then four zero bytes. */
export const DISCOVERY_QUERY: Readonly<Buffer> = Buffer.from([0x64, 0x00, 0x00, 0x00, 0x00]);

/** Reply lengths: current firmware, and the shortest (old firmware) we accept. */
export const REPLY_LENGTH = 68;
export const OLD_REPLY_LENGTH = 40;

/** BACnet device instances are 22 bits; 4194303 is the wildcard, never a device's own. */
const MAX_BACNET_INSTANCE = 4_194_302;

/** One controller as its discovery reply describes it. */
export interface DiscoveredController {
  /** Serial number, unique per controller: the key discovery deduplicates on. */
  serial: number;
  /** Temco product id (byte 12). */
  productId: number;
  /** Modbus unit id (byte 14). */
  modbusId: number;
  /** The IPv4 address the controller reports (bytes 16/18/20/22). */
  ip: string;
  /** Modbus TCP port (bytes 24–25, little-endian). */
  port: number;
  /** Firmware version as the controller sends it (bytes 26–27, little-endian), not reformatted. */
  firmware: number;
  /**
   * For a sub-device behind a controller's RS-485 bus, its parent's serial (bytes 30–33); `null`
   * for a controller on the network itself (the field is 0, or its own serial).
   */
  parentSerial: number | null;
  /** Panel number (byte 36). */
  panelNumber: number;
  /** Panel name (bytes 37–56) up to its first NUL; `null` when empty or the reply is too short to hold it. */
  panelName: string | null;
  /** BACnet device instance (`b57<<24 | b58<<16 | b34<<8 | b35`); `null` on short replies or out of range. */
  bacnetInstance: number | null;
  /** BACnet/IP UDP port (bytes 60–61, little-endian); `null` on short replies or when 0. */
  bacnetPort: number | null;
  /** Where the reply came from (`address:port`): differs from `ip` behind NAT or for sub-devices. */
  replyFrom?: string;
}

/** Why a datagram was not taken as a controller. */
export type ReplyRejection =
  { reason: 'not-a-reply' } | { reason: 'too-short'; length: number } | { reason: 'bootloader'; serial: number };

export type ParsedReply = { ok: true; controller: DiscoveredController } | ({ ok: false } & ReplyRejection);

/**
 * Parses one discovery reply by offset. A reply shorter than 40 bytes, or one that does not start
 * `0x65 0x00`, is refused; so is a controller in its bootloader (byte 59 set), which cannot be
 * polled. Fields past the end of a short (old firmware) reply are `null`.
 */
export function parseDiscoveryReply(msg: Buffer): ParsedReply {
  if (msg.length < 2 || msg[0] !== 0x65 || msg[1] !== 0x00) return { ok: false, reason: 'not-a-reply' };
  if (msg.length < OLD_REPLY_LENGTH) return { ok: false, reason: 'too-short', length: msg.length };
  const b = (i: number): number => msg[i]!;
  const has = (end: number) => msg.length >= end;
  // Multiplication rather than `<<`: a top byte ≥ 0x80 would turn a 32-bit shift negative.
  const serial = b(4) + b(6) * 0x100 + b(8) * 0x10000 + b(10) * 0x1000000;
  if (has(60) && b(59) !== 0) return { ok: false, reason: 'bootloader', serial };

  const parent = msg.readUInt32LE(30);
  const instance = has(59) ? b(57) * 0x1000000 + b(58) * 0x10000 + b(34) * 0x100 + b(35) : null;
  const bacnetPort = has(62) ? msg.readUInt16LE(60) : 0;
  return {
    ok: true,
    controller: {
      serial,
      productId: b(12),
      modbusId: b(14),
      ip: `${b(16)}.${b(18)}.${b(20)}.${b(22)}`,
      port: msg.readUInt16LE(24),
      firmware: msg.readUInt16LE(26),
      parentSerial: parent === 0 || parent === serial ? null : parent,
      panelNumber: b(36),
      panelName: has(57) ? panelName(msg.subarray(37, 57)) : null,
      bacnetInstance: instance !== null && instance <= MAX_BACNET_INSTANCE ? instance : null,
      bacnetPort: bacnetPort === 0 ? null : bacnetPort,
    },
  };
}

/** The name is a C string in a fixed 20-byte field: up to the first NUL, padding trimmed. */
function panelName(field: Buffer): string | null {
  const end = field.indexOf(0);
  // latin1 maps every byte to one character, so a stray high byte cannot become U+FFFD.
  const name = field
    .toString('latin1', 0, end === -1 ? field.length : end)
    .replace(/\p{Cc}/gu, '')
    .trim();
  return name === '' ? null : name;
}

/** What a simulated or test controller puts in its reply; the inverse of {@link parseDiscoveryReply}. */
export interface ReplyFields extends Omit<DiscoveredController, 'replyFrom' | 'parentSerial' | 'panelName'> {
  parentSerial?: number | null;
  panelName?: string | null;
  /** Byte 59: a controller in its bootloader. */
  bootloader?: boolean;
}

/**
 * Encodes a reply of `length` bytes (68, or 40 for old firmware); fields that do not fit are left
 * out. Used by the simulator and the tests, so both speak the layout the parser reads.
 */
export function encodeDiscoveryReply(fields: ReplyFields, length: number = REPLY_LENGTH): Buffer {
  const msg = Buffer.alloc(Math.max(length, OLD_REPLY_LENGTH));
  const put = (i: number, v: number) => {
    if (i < msg.length) msg[i] = v & 0xff;
  };
  put(0, 0x65);
  for (const [i, shift] of [
    [4, 0],
    [6, 8],
    [8, 16],
    [10, 24],
  ] as const) {
    put(i, Math.floor(fields.serial / 2 ** shift));
  }
  put(12, fields.productId);
  put(14, fields.modbusId);
  fields.ip.split('.').forEach((octet, k) => put(16 + 2 * k, Number(octet)));
  msg.writeUInt16LE(fields.port, 24);
  msg.writeUInt16LE(fields.firmware, 26);
  msg.writeUInt32LE(fields.parentSerial ?? 0, 30);
  put(36, fields.panelNumber);
  const instance = fields.bacnetInstance ?? 0;
  put(34, instance >>> 8);
  put(35, instance);
  put(57, Math.floor(instance / 0x1000000));
  put(58, instance >>> 16);
  if (msg.length >= 57 && fields.panelName) msg.write(fields.panelName.slice(0, 20), 37, 20, 'latin1');
  put(59, fields.bootloader ? 1 : 0);
  if (msg.length >= 62) msg.writeUInt16LE(fields.bacnetPort ?? 0, 60);
  return msg.length === length ? msg : msg.subarray(0, length);
}
