import { ByteTable } from './byte-table';

/**
 * The customers of a load, numbered in the order first seen: the buffer and the spill files hold
 * a customer as its number, and a row's customer is found by its bytes, so the id becomes a string
 * once per customer rather than once per row.
 */
export class CustomerTable {
  /** Customer ids by number. */
  readonly ids: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly byBytes = new ByteTable();

  /** The number of `customerId`, numbering it if it is new. */
  numberOf(customerId: string): number {
    const known = this.numbers.get(customerId);
    if (known !== undefined) return known;
    const bytes = Buffer.from(customerId, 'latin1');
    return this.add(customerId, bytes, 0, bytes.length);
  }

  /** The number of the customer whose id is the bytes `bytes[start..end)`, or -1 if not seen yet. */
  find(bytes: Uint8Array, start: number, end: number): number {
    return this.byBytes.get(bytes, start, end);
  }

  /** Numbers a customer not seen yet, whose id is `customerId`, read from `bytes[start..end)`. */
  add(customerId: string, bytes: Uint8Array, start: number, end: number): number {
    const number = this.ids.length;
    this.ids.push(customerId);
    this.numbers.set(customerId, number);
    this.byBytes.set(bytes, start, end, number);
    return number;
  }
}
