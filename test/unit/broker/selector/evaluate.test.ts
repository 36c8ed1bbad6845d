import { describe, expect, it } from 'vitest';
import { compileSelector } from '../../../../server/src/broker/selector/index.js';

/** Message headers as the broker holds them: a null-prototype record of strings. */
function headers(values: Record<string, string> = {}): Record<string, string> {
  return Object.assign(Object.create(null) as Record<string, string>, values);
}

type Case = readonly [selector: string, headers: Record<string, string>, expected: boolean];

function table(cases: readonly Case[]): void {
  it.each(cases)('%s with %o is %s', (selector, values, expected) => {
    expect(compileSelector(selector)(headers(values))).toBe(expected);
  });
}

describe('ActiveMQ documented examples', () => {
  const car = "JMSType = 'car' AND color = 'blue' AND weight > 2500";
  table([
    [car, { type: 'car', color: 'blue', weight: '3000' }, true],
    [car, { type: 'car', color: 'blue', weight: '2500' }, false],
    [car, { type: 'car', color: 'red', weight: '3000' }, false],
    [car, { color: 'blue', weight: '3000' }, false],
    ['age BETWEEN 15 AND 19', { age: '15' }, true],
    ['age BETWEEN 15 AND 19', { age: '17' }, true],
    ['age BETWEEN 15 AND 19', { age: '19' }, true],
    ['age BETWEEN 15 AND 19', { age: '17.5' }, true],
    ['age BETWEEN 15 AND 19', { age: '14' }, false],
    ['age BETWEEN 15 AND 19', { age: '20' }, false],
    ['age BETWEEN 15 AND 19', { age: 'old' }, false],
    ['age BETWEEN 15 AND 19', {}, false],
    ['age NOT BETWEEN 15 AND 19', { age: '14' }, true],
    ['age NOT BETWEEN 15 AND 19', { age: '20' }, true],
    ['age NOT BETWEEN 15 AND 19', { age: '17' }, false],
    ['age NOT BETWEEN 15 AND 19', { age: 'old' }, false],
    ['age NOT BETWEEN 15 AND 19', {}, false],
    ["Country IN (' UK', 'US', 'France')", { Country: ' UK' }, true],
    ["Country IN (' UK', 'US', 'France')", { Country: 'France' }, true],
    ["Country IN (' UK', 'US', 'France')", { Country: 'UK' }, false],
    ["Country IN (' UK', 'US', 'France')", { Country: 'Peru' }, false],
    ["Country IN (' UK', 'US', 'France')", {}, false],
    ["Country NOT IN (' UK', 'US', 'France')", { Country: 'Peru' }, true],
    ["Country NOT IN (' UK', 'US', 'France')", { Country: 'US' }, false],
    ["Country NOT IN (' UK', 'US', 'France')", {}, false],
    ["phone LIKE '12%3'", { phone: '123' }, true],
    ["phone LIKE '12%3'", { phone: '12993' }, true],
    ["phone LIKE '12%3'", { phone: '1234' }, false],
    ["phone NOT LIKE '12%3'", { phone: '1234' }, true],
    ["phone NOT LIKE '12%3'", { phone: '123' }, false],
    ["phone NOT LIKE '12%3'", {}, false],
    ["word LIKE 'l_se'", { word: 'lose' }, true],
    ["word LIKE 'l_se'", { word: 'loose' }, false],
    ["underscored LIKE '\\_%' ESCAPE '\\'", { underscored: '_foo' }, true],
    ["underscored LIKE '\\_%' ESCAPE '\\'", { underscored: 'bar' }, false],
    ["underscored NOT LIKE '\\_%' ESCAPE '\\'", { underscored: 'bar' }, true],
    ['prop_name IS NULL', {}, true],
    ['prop_name IS NULL', { prop_name: '' }, false],
    ['prop_name IS NULL', { prop_name: 'x' }, false],
    ['prop_name IS NOT NULL', {}, false],
    ['prop_name IS NOT NULL', { prop_name: 'x' }, true],
    ['JMSPriority > 5', { priority: '6' }, true],
    ['JMSPriority > 5', { priority: '5' }, false],
    ['JMSPriority > 5', {}, false],
    ['convert_string_expressions:age > 18', { age: '21' }, true],
  ]);
});

describe('numeric-looking header values', () => {
  table([
    ['quantity > 10', { quantity: '12' }, true],
    ['quantity > 10', { quantity: '9' }, false],
    ['quantity > 10', { quantity: '10.5' }, true],
    ['quantity > 10', { quantity: '1e3' }, true],
    ['quantity > 10', { quantity: '+11' }, true],
    ['quantity > -10', { quantity: '-9.5' }, true],
    ['quantity > 10', { quantity: 'lots' }, false],
    ['quantity > 10', { quantity: ' 12' }, false],
    ['quantity > 10', { quantity: '12 ' }, false],
    ['quantity > 10', { quantity: '' }, false],
    ['quantity > 10', { quantity: 'Infinity' }, false],
    ['quantity > 10', { quantity: '0x1F' }, false],
    ['quantity > 10', {}, false],
    ['10 < quantity', { quantity: '12' }, true],
    ['10 >= quantity', { quantity: '12' }, false],
    ["quantity = '12'", { quantity: '12' }, true],
    ["quantity = '12'", { quantity: '12.0' }, false],
    ["quantity <> '12'", { quantity: '12.0' }, true],
    ['quantity = 12', { quantity: '12' }, true],
    ['quantity = 12', { quantity: '12.0' }, true],
    ['quantity = 12', { quantity: '012' }, true],
    ['quantity = 12', { quantity: '1.2e1' }, true],
    ['quantity = 12', { quantity: 'twelve' }, false],
    // <> is NOT =, as in ActiveMQ: a string that is no number is not equal to 12.
    ['quantity <> 12', { quantity: 'twelve' }, true],
    ['quantity <> 12', { quantity: '12.0' }, false],
    ["'5' = 5", {}, true],
    // Two strings compare as strings (ActiveMQ: String.compareTo), even when both look numeric.
    ['a > b', { a: '10', b: '9' }, false],
    ['a > b', { a: 'pear', b: 'apple' }, true],
    ['a = b', { a: '1', b: '1' }, true],
    ['a = b', { a: '1.0', b: '1' }, false],
    // Arithmetic reads both sides as numbers.
    ['a + 0 > b', { a: '10', b: '9' }, true],
    ['a + b > 10', { a: '5', b: '6' }, true],
    ['a + b > 10', { a: '5', b: 'six' }, false],
    ['NOT (a + b > 10)', { a: '5', b: 'six' }, false],
    ['a + b IS NULL', { a: '5', b: 'six' }, true],
    ['a + b IS NULL', { a: '5', b: '6' }, false],
    ['NOT (quantity > 10)', { quantity: 'lots' }, true],
    ['color <> 5', { color: 'red' }, true],
    ['x BETWEEN 1 + 1 AND 2 * 3', { x: '4' }, true],
    ['x BETWEEN 1 + 1 AND 2 * 3', { x: '7' }, false],
    ['x NOT BETWEEN lo AND hi', { x: '7', lo: '1', hi: '5' }, true],
    ['x NOT BETWEEN lo AND hi', { x: '3', lo: '1', hi: '5' }, false],
    ['x NOT BETWEEN lo AND hi', { x: '3', lo: '1' }, false],
    ['x NOT BETWEEN lo AND hi', { x: '0', lo: '1' }, true],
    ['x + 1 BETWEEN 2 AND 3', { x: '1' }, true],
    ['x / 0 > 1000', { x: '1' }, true],
    ['x / 0 = x / 0', { x: '0' }, false],
  ]);
});

describe('literals', () => {
  table([
    ['x = 0x1F', { x: '31' }, true],
    ['x = 0X1f', { x: '31' }, true],
    ['x = 017', { x: '15' }, true],
    ['x = 0', { x: '0' }, true],
    ['x = 10L', { x: '10' }, true],
    ['x = 9007199254740991', { x: '9007199254740991' }, true],
    ['x = 1e3', { x: '1000' }, true],
    ['x = 1E+3', { x: '1000' }, true],
    ['x = 7.5E-1', { x: '0.75' }, true],
    ['x = .5', { x: '0.5' }, true],
    ['x = 5.', { x: '5' }, true],
    ['x = -5', { x: '-5' }, true],
    ['x = +5', { x: '5' }, true],
    ["x = 'O''Brien'", { x: "O'Brien" }, true],
    ["x = ''", { x: '' }, true],
    ["x = 'a\"b'", { x: 'a"b' }, true],
    ['TRUE', {}, true],
    ['FALSE', {}, false],
    ['NOT FALSE', {}, true],
    ['true AND NOT false', {}, true],
  ]);
});

describe('three-valued logic', () => {
  table([
    ['x = 5', {}, false],
    ['NOT (x = 5)', {}, false],
    ['NOT x = 5', {}, false],
    ['NOT (x = 5)', { x: '5' }, false],
    ['NOT (x = 5)', { x: '6' }, true],
    ['x <> 5', {}, false],
    ['x = 5 OR y = 1', { y: '1' }, true],
    ['x = 5 OR y = 1', { y: '2' }, false],
    ['NOT (x = 5 OR y = 1)', { y: '2' }, false],
    ['x = 5 AND y = 1', { y: '2' }, false],
    ['NOT (x = 5 AND y = 1)', { y: '2' }, true],
    ['NOT (x = 5 AND y = 1)', { y: '1' }, false],
    ['x = 5 OR TRUE', {}, true],
    ['NOT (x = 5 AND FALSE)', {}, true],
    ['NOT NOT (x = 5)', {}, false],
    ['x IS NULL OR x > 3', {}, true],
    ["x LIKE 'a%' OR x IS NULL", {}, true],
    ["NOT (x IN ('a'))", {}, false],
    ['(x = 5) IS NULL', {}, true],
    ['(x = 5) = FALSE', { x: '4' }, true],
    ['(x = 5) = FALSE', {}, false],
    ['- x = -5', {}, false],
  ]);
});

describe('precedence', () => {
  table([
    ['a = 1 OR b = 1 AND c = 1', { a: '1', b: '0', c: '0' }, true],
    ['(a = 1 OR b = 1) AND c = 1', { a: '1', b: '0', c: '0' }, false],
    ['NOT a = 1 AND b = 1', { a: '2', b: '1' }, true],
    ['NOT a = 1 OR b = 1', { a: '1', b: '1' }, true],
    ['NOT (a = 1 OR b = 1)', { a: '1', b: '1' }, false],
    ['1 + 2 * 3 = 7', {}, true],
    ['(1 + 2) * 3 = 9', {}, true],
    ['10 - 4 - 3 = 3', {}, true],
    ['12 / 4 / 3 = 1', {}, true],
    ['7 / 2 = 3.5', {}, true],
    ['7 % 4 = 3', {}, true],
    ['-2 * 3 = -6', {}, true],
    ['2 * -3 = -6', {}, true],
    ['- x = -5', { x: '5' }, true],
    ['x - -1 = 6', { x: '5' }, true],
    ['x-1 = 4', { x: '5' }, true],
    ['x + 1 > 5 AND x + 1 < 7', { x: '5' }, true],
    ['x BETWEEN 1 AND 3 AND y = 1', { x: '2', y: '1' }, true],
    ['x BETWEEN 1 AND 3 AND y = 1', { x: '2', y: '2' }, false],
    ["((x = 'a'))", { x: 'a' }, true],
  ]);
});

describe('booleans', () => {
  table([
    ['flag = TRUE', { flag: 'true' }, true],
    ['flag = TRUE', { flag: 'TRUE' }, true],
    ['flag = TRUE', { flag: 'false' }, false],
    ['flag = TRUE', { flag: 'yes' }, false],
    ['flag = TRUE', {}, false],
    ['flag = FALSE', { flag: 'False' }, true],
    ['flag <> TRUE', { flag: 'false' }, true],
    ['TRUE = flag', { flag: 'true' }, true],
    ['flag', { flag: 'true' }, true],
    ['flag', { flag: 'false' }, false],
    ['flag', { flag: 'yes' }, false],
    ['flag', {}, false],
    ['NOT flag', { flag: 'false' }, true],
    ['NOT flag', { flag: 'yes' }, true],
    ['NOT flag', {}, false],
    ['flag AND other', { flag: 'true', other: 'true' }, true],
  ]);
});

describe('JMS header names', () => {
  table([
    ['JMSPriority = 4', {}, true],
    ['JMSPriority = 4', { priority: 'urgent' }, true],
    ['JMSPriority = 9', { priority: '9' }, true],
    ['JMSPriority BETWEEN 7 AND 9', { priority: '8' }, true],
    ["JMSType = 'car'", { type: 'car' }, true],
    ["JMSType = 'car'", { JMSType: 'car' }, false],
    ["JMSCorrelationID = 'abc'", { 'correlation-id': 'abc' }, true],
    ["JMSMessageID LIKE 'ID:%'", { 'message-id': 'ID:host-1' }, true],
    ['JMSMessageID IS NULL', {}, true],
    ['JMSTimestamp > 1000', { timestamp: '1700000000000' }, true],
    ['JMSTimestamp = 0', {}, true],
    ['JMSExpiration = 0', {}, true],
    ['JMSExpiration > 100', { expires: '123' }, true],
    ["JMSDeliveryMode = 'PERSISTENT'", { persistent: 'true' }, true],
    ["JMSDeliveryMode = 'PERSISTENT'", {}, false],
    ["JMSDeliveryMode = 'NON_PERSISTENT'", { persistent: 'false' }, true],
    ["JMSDeliveryMode IN ('PERSISTENT')", { persistent: 'true' }, true],
    ['JMSRedelivered', { redelivered: 'true' }, true],
    ['JMSRedelivered', {}, false],
    ['NOT JMSRedelivered', {}, true],
    ['JMSRedelivered = FALSE', {}, true],
    ["JMSXGroupID = 'g1'", { JMSXGroupID: 'g1' }, true],
    ['priority = 7', { priority: '7' }, true],
    ['jmspriority = 7', { jmspriority: '7' }, true],
    ['"JMSPriority" = 7', { JMSPriority: '7' }, true],
    ['"JMSPriority" = 7', { priority: '7' }, false],
    ['"content-type" = \'text/plain\'', { 'content-type': 'text/plain' }, true],
    ['"content-type" LIKE \'text/%\'', { 'content-type': 'text/html' }, true],
    ['"reply-to" IS NULL', {}, true],
    ['"x.trace:id" = 1', { 'x.trace:id': '1' }, true],
    ['"a""b" = \'x\'', { 'a"b': 'x' }, true],
    ['"AND" = \'x\'', { AND: 'x' }, true],
    ['"content-length" - 1 = 9', { 'content-length': '10' }, true],
    ["$_x1 = 'y'", { $_x1: 'y' }, true],
    ['größe = 3', { größe: '3' }, true],
    ['toString IS NULL', {}, true],
    ['__proto__ IS NULL', {}, true],
  ]);
});

describe('syntax details', () => {
  table([
    ['age between 15 and 19', { age: '16' }, true],
    ['x is not null', { x: '' }, true],
    ["country in ('US')", { country: 'US' }, true],
    ["name like 'a!%' escape '!'", { name: 'a%' }, true],
    ["name like 'a!%' escape '!'", { name: 'ab' }, false],
    ['flag = true', { flag: 'true' }, true],
    ['x = 1 -- a trailing comment', { x: '1' }, true],
    ['/* leading */ x = /* inner */ 1', { x: '1' }, true],
    ['x = 1 -- comment\nOR y = 1', { y: '1' }, true],
    ['\tx\n=\r\n1\f', { x: '1' }, true],
    ["x LIKE '%'", { x: '' }, true],
    ["x LIKE 'a.c'", { x: 'abc' }, false],
    ["x LIKE 'a.c'", { x: 'a.c' }, true],
    ["x LIKE '(a)[b]{1}^$|+?*\\%'", { x: '(a)[b]{1}^$|+?*\\zz' }, true],
    ["x LIKE 'a%'", { x: 'a\nb' }, true],
    ["x LIKE '_'", { x: '😀' }, true],
    ["x LIKE 'ab'", { x: 'AB' }, false],
    ["x LIKE '!!%' ESCAPE '!'", { x: '!abc' }, true],
    ["x LIKE '!a' ESCAPE '!'", { x: '!a' }, true],
    ["x LIKE 'a!' ESCAPE '!'", { x: 'a!' }, true],
    ["'abc' LIKE 'a%'", {}, true],
    ['a < b', { a: 'apple', b: 'banana' }, true],
    ["x = 'abc' OR x = 5", { x: 'abc' }, true],
    ["x IN ('a', 'b', 'c', 'd', 'e', 'f')", { x: 'f' }, true],
  ]);
});

describe('compiled selectors', () => {
  it('can be reused across messages and do not depend on header object prototypes', () => {
    const selector = compileSelector("color = 'blue' AND weight > 2500");
    expect(selector(headers({ color: 'blue', weight: '3000' }))).toBe(true);
    expect(selector(headers({ color: 'blue', weight: '2000' }))).toBe(false);
    expect(selector({ color: 'blue', weight: '3000' })).toBe(true);
    expect(selector(headers({ color: 'blue', weight: '3000' }))).toBe(true);
  });

  it('evaluates a moderate selector 100k times with the right count', () => {
    const selector = compileSelector(
      "JMSType = 'order' AND (region IN ('EU', 'US') OR express = TRUE) " +
        "AND quantity * price BETWEEN 100 AND 10000 AND sku LIKE 'A-%' AND note IS NULL",
    );
    const messages = Array.from({ length: 100 }, (_, i) =>
      headers({
        type: i % 10 === 0 ? 'refund' : 'order',
        region: ['EU', 'US', 'APAC', 'LATAM'][i % 4]!,
        express: i % 3 === 0 ? 'true' : 'false',
        quantity: String(i),
        price: '12.5',
        sku: i % 7 === 0 ? 'B-1' : 'A-1',
        ...(i % 11 === 0 ? { note: 'fragile' } : {}),
      }),
    );
    const expectedPerRound = messages.filter((_, i) => {
      const inRegion = i % 4 < 2 || i % 3 === 0;
      const total = i * 12.5;
      return (
        i % 10 !== 0 && inRegion && total >= 100 && total <= 10000 && i % 7 !== 0 && i % 11 !== 0
      );
    }).length;
    let matched = 0;
    for (let round = 0; round < 1000; round++) {
      for (const message of messages) if (selector(message)) matched++;
    }
    expect(expectedPerRound).toBeGreaterThan(0);
    expect(matched).toBe(expectedPerRound * 1000);
  });
});
