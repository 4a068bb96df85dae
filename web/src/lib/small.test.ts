import { describe, expect, it } from 'vitest';
import { formatSize, initials, isImage } from './format.js';
import { isFullEmail, moveActive, shouldSearch } from './search.js';
import { fileOfAnswer, fileUrl, uploadUrl } from './upload.js';

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
    expect(initials('<img src=x onerror=alert(1)>Bob')).toBe('IO');
    expect(initials('"Quoted" (Name)')).toBe('QN');
    expect(initials('𝒜nna Ölund')).toBe('𝒜Ö');
    expect(initials('— ·')).toBe('?');
    expect(isImage('image/png')).toBe(true);
    expect(isImage('image/svg+xml')).toBe(false);
  });
});
