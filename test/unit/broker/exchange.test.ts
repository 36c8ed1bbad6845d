import { describe, expect, it } from 'vitest';
import { amqpTopicMatch } from '../../../server/src/broker/exchange.js';

function matches(pattern: string, key: string): boolean {
  return amqpTopicMatch(pattern.split('.'), key.split('.'), 0, 0);
}

describe('AMQP topic binding keys', () => {
  it.each([
    ['*.orange.*', 'quick.orange.rabbit', true],
    ['*.*.rabbit', 'quick.orange.rabbit', true],
    ['lazy.#', 'lazy.orange.elephant', true],
    ['*.orange.*', 'lazy.brown.fox', false],
    ['lazy.#', 'lazy', true],
    ['*.*.rabbit', 'quick.brown.fox', false],
    ['*.orange.*', 'orange', false],
    ['*.orange.*', 'quick.orange.new.rabbit', false],
    ['lazy.#', 'lazy.orange.new.rabbit', true],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['#.critical', 'kern.critical', true],
    ['#.critical', 'critical', true],
    ['kern.#.x', 'kern.x', true],
    ['kern.#.x', 'kern.a.b.x', true],
    ['kern.#.x', 'kern.a.b.y', false],
    ['', '', true],
    ['', 'a', false],
    ['error', 'error', true],
  ])('%j against %j → %s (the RabbitMQ tutorial examples among them)', (pattern, key, expected) => {
    expect(matches(pattern, key)).toBe(expected);
  });
});
