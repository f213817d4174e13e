/** Letters, digits and `._:@-`, 1 to 128 characters, starting with a letter or digit. */
const CUSTOMER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** What a valid customer id looks like, for error messages. */
export const CUSTOMER_ID_RULE =
  '1 to 128 letters, digits or ._:@- starting with a letter or digit, e.g. b4f9279a0196e40632e947dd1a88e857';

/** True when `value` is a customer id the service stores and answers for. */
export function isCustomerId(value: string): boolean {
  return CUSTOMER_ID_PATTERN.test(value);
}
