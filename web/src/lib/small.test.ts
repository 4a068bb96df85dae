import { describe, expect, it } from 'vitest';
import { formatSize, initials, isImage } from './format.js';
import { backoffMs, eventsUrl, parseServerEvent } from './realtime.js';
import { isFullEmail, moveActive, shouldSearch } from './search.js';
import { TypingThrottle } from './typing.js';
import { fileOfAnswer, fileUrl, uploadUrl } from './upload.js';

describe('TypingThrottle', () => {
  it('sends at most once every two seconds per chat', () => {
    let now = 0;
    const sent: string[] = [];
    const t = new TypingThrottle((id) => sent.push(id), 2000, () => now);
    for (let i = 0; i < 50; i++) {
      t.typed('a');
      now += 100;
    }
    // 0, 2000, 4000 within 5 s of typing.
    expect(sent).toEqual(['a', 'a', 'a']);
    t.typed('b');
    expect(sent).toEqual(['a', 'a', 'a', 'b']);
    t.reset('b');
    t.typed('b');
    expect(sent.filter((s) => s === 'b')).toHaveLength(2);
  });
});

describe('search helpers', () => {
  it('recognises full emails only', () => {
    expect(isFullEmail(' ann@acme.example ')).toBe(true);
    expect(isFullEmail('ann@acme')).toBe(false);
    expect(isFullEmail('ann')).toBe(false);
    expect(shouldSearch('a')).toBe(false);
    expect(shouldSearch('an')).toBe(true);
  });

  it('moves through results with wrap-around', () => {
    expect(moveActive(-1, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(2, 3, 'ArrowDown')).toBe(0);
    expect(moveActive(0, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(-1, 3, 'ArrowUp')).toBe(2);
    expect(moveActive(0, 0, 'ArrowDown')).toBe(-1);
  });
});

describe('realtime helpers', () => {
  it('backs off with a cap', () => {
    expect(backoffMs(0, () => 0)).toBe(250);
    expect(backoffMs(0, () => 1)).toBe(500);
    expect(backoffMs(30, () => 1)).toBe(15_000);
  });

  it('builds the events URL for the page origin', () => {
    expect(eventsUrl({ protocol: 'https:', host: 'chat.example' })).toBe('wss://chat.example/api/v1/events');
    expect(eventsUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/v1/events');
  });

  it('ignores frames that are not events', () => {
    expect(parseServerEvent('not json')).toBeNull();
    expect(parseServerEvent('{"no":"type"}')).toBeNull();
    expect(parseServerEvent(new ArrayBuffer(2))).toBeNull();
    expect(parseServerEvent('{"type":"typing","conversationId":"c","userId":"u","expiresInMs":3000}')).toMatchObject({ type: 'typing' });
  });
});

describe('files helpers', () => {
  it('builds upload and download URLs with encoding', () => {
    expect(uploadUrl('c 1', 'a&b.txt')).toBe('/api/v1/files?conversationId=c+1&name=a%26b.txt');
    expect(fileUrl('f/1', true)).toBe('/api/v1/files/f%2F1?inline=1');
  });

  it('reads the file of either answer shape', () => {
    expect(fileOfAnswer({ file: { id: 'x' } })).toEqual({ id: 'x' });
    expect(fileOfAnswer({ id: 'y' })).toEqual({ id: 'y' });
    expect(fileOfAnswer({ ok: true })).toBeNull();
  });

  it('formats sizes and names', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(50 * 1024 * 1024)).toBe('50 MB');
    expect(initials('Ann Lee')).toBe('AL');
    expect(initials('bob@x.example')).toBe('B');
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
  });
});
