import { describe, expect, it } from 'vitest';
import { ChangeLine } from './change-line.js';

describe('the line of a chat’s changes on one node', () => {
  it('tells a change only after those with lower numbers, whatever order they commit in', () => {
    const line = new ChangeLine();
    const told: number[] = [];
    const [c1, c2, c3] = [1, 2, 3].map((n) => line.take('chat', n));
    line.ready(c3!, () => told.push(3));
    line.ready(c2!, () => told.push(2));
    expect(told).toEqual([]);
    line.ready(c1!, () => told.push(1));
    expect(told).toEqual([1, 2, 3]);
    expect(line.waiting('chat')).toBe(0);
  });

  it('lets a rolled-back change hold nothing up, keeps chats apart, and survives a failing publisher', () => {
    const line = new ChangeLine();
    const told: string[] = [];
    const a1 = line.take('a', 1);
    const a2 = line.take('a', 2);
    const b7 = line.take('b', 7);
    line.ready(b7, () => told.push('b7'));
    line.ready(a2, () => told.push('a2'));
    expect(told).toEqual(['b7']);
    // Number 1 rolled back (the message was deleted meanwhile), and taken again by a later change.
    const again = line.take('a', 1);
    line.cancel(a1);
    expect(told).toEqual(['b7']);
    line.ready(again, () => {
      told.push('a1');
      throw new Error('bus down');
    });
    expect(told).toEqual(['b7', 'a1', 'a2']);
    expect(line.waiting('a') + line.waiting('b')).toBe(0);
  });
});
