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

/** Packs little-endian uint16 values: a split write's minute histogram, or a minute part's offsets. */
export function packedUint16(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    view.setUint16(i * 2, value, true);
  });
  return bytes;
}

/**
 * The time index items of one write, as docs/data-model.md describes them, keyed by sort key
 * suffix: `W#<write>` with all offsets (`split` false), or with its minute histogram and one
 * `M<mm>#<write>` part per minute with events.
 */
export function indexItemsOfWrite(
  write: number,
  offsets: readonly number[],
  split: boolean,
): { suffix: string; attributes: Record<string, unknown> }[] {
  const w = String(write).padStart(6, '0');
  const sorted = [...offsets].sort((a, b) => a - b);
  if (!split) {
    return [{ suffix: `W#${w}`, attributes: { events: sorted.length, offsets: packedOffsets(sorted) } }];
  }
  const histogram = new Array<number>(60).fill(0);
  for (const offset of sorted) {
    const minute = Math.floor(offset / 60_000);
    histogram[minute] = (histogram[minute] ?? 0) + 1;
  }
  return [
    { suffix: `W#${w}`, attributes: { events: sorted.length, minutes: packedUint16(histogram) } },
    ...histogram.flatMap((count, minute) =>
      count === 0
        ? []
        : [
            {
              suffix: `M${String(minute).padStart(2, '0')}#${w}`,
              attributes: {
                offsets: packedUint16(
                  sorted.filter((o) => Math.floor(o / 60_000) === minute).map((o) => o % 60_000),
                ),
              },
            },
          ],
    ),
  ];
}
