import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB's documented item size rules (Developer Guide, "Item sizes and formats"): an item is the sum of its
 * attribute names' UTF-8 lengths and its values' sizes. Strings and binaries: their bytes. Numbers: 1 byte per
 * two significant digits, plus 1. Booleans and null: 1. Lists and maps: 3 bytes plus 1 byte per element plus
 * the elements (and, for maps, the element names). Sets: the sum of their elements.
 */
const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

const numberSize = (text: string): number => {
  const digits = text
    .replace(/^[-+]/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
};

export const valueSize = (value: AttributeValue): number => {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, s) => total + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, n) => total + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((total, b) => total + b.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, element) => total + 1 + valueSize(element), 0);
  if (value.M !== undefined) {
    return (
      3 +
      Object.entries(value.M).reduce(
        (total, [name, element]) => total + 1 + utf8(name) + valueSize(element),
        0,
      )
    );
  }
  return 0;
};

export const itemSize = (item: Readonly<Record<string, AttributeValue>> | undefined): number =>
  item === undefined
    ? 0
    : Object.entries(item).reduce((total, [name, value]) => total + utf8(name) + valueSize(value), 0);

/** Write units of one item write: 1 per started KB of the larger of the item before and after. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

/** Read units of a strongly consistent read of `bytes` (one item, or the sum a Query returns): 1 per 4 KB. */
export const readUnits = (bytes: number, consistent: boolean): number =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
