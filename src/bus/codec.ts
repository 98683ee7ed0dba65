// JSON on the wire, UTF-8.
const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeJson(v: unknown): Uint8Array {
  return enc.encode(JSON.stringify(v));
}

/** Parses a payload; an empty payload is `{}` so that argument-less endpoints accept a bare request. */
export function decodeJson(data: Uint8Array): unknown {
  if (data.length === 0) return {};
  return JSON.parse(dec.decode(data));
}
