/**
 * The one place Graph `$filter` values are built. The Graph SDK puts a filter into the URL as it is
 * given (no encoding), so a value must be both an OData string literal (a `'` doubled) and
 * percent-encoded as a whole (RFC 3986), or a `%27`, `#`, `&` or `+` in it changes the request:
 * `%27 or userPrincipalName eq %27victim` would otherwise reach Graph as a second condition.
 */

/** A `$filter` value ready for the SDK's `.filter()`: only this module makes one. */
export type EncodedFilter = string & { readonly encodedFilter: unique symbol };

/** A property or navigation path such as `employeeId` or `createdBy/userPrincipalName`. */
const PROPERTY_PATH = /^[A-Za-z][A-Za-z0-9_]{0,63}(\/[A-Za-z][A-Za-z0-9_]{0,63}){0,3}$/;

/** An OData string literal: quoted, each `'` doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Percent-encodes every character outside RFC 3986's unreserved set (encodeURIComponent leaves !'()* alone). */
export function encodeQueryValue(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `<property> eq '<value>'`, encoded. Throws on a property path that is not a plain name. */
export function filterEquals(property: string, value: string): EncodedFilter {
  if (!PROPERTY_PATH.test(property)) throw new Error(`Not a property name: ${property}`);
  return encodeQueryValue(`${property} eq ${odataString(value)}`) as EncodedFilter;
}

/** `startswith(<p1>,'<value>') or startswith(<p2>,'<value>') …`, encoded (a directory search by prefix). */
export function filterStartsWithAny(properties: readonly string[], value: string): EncodedFilter {
  for (const property of properties)
    if (!PROPERTY_PATH.test(property)) throw new Error(`Not a property name: ${property}`);
  const literal = odataString(value);
  return encodeQueryValue(properties.map((p) => `startswith(${p},${literal})`).join(' or ')) as EncodedFilter;
}
