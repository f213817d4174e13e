/**
 * Packs millisecond offsets as docs/data-model.md describes a time index fragment: little-endian
 * uint32, 4 bytes each. Written apart from core/time-index.ts so tests check the format, not the code.
 */
export function packedOffsets(offsets: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  offsets.forEach((offset, i) => {
    view.setUint32(i * 4, offset, true);
  });
  return bytes;
}
