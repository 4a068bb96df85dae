import { describe, expect, it } from 'vitest';
import { splitLinks, trimBlankLines } from './links.js';

describe('splitLinks', () => {
  it('keeps plain text as one part', () => {
    expect(splitLinks('hello <b>there</b>')).toEqual([{ kind: 'text', text: 'hello <b>there</b>' }]);
  });

  it('finds http and https links between text', () => {
    expect(splitLinks('see https://example.com/a?b=1 and http://x.example/')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://x.example/', href: 'http://x.example/' },
    ]);
  });

  it('leaves sentence punctuation outside the link', () => {
    const parts = splitLinks('Look: https://example.com/page. Then (https://example.com/x), ok?');
    expect(parts.filter((p) => p.kind === 'link').map((p) => p.text)).toEqual(['https://example.com/page', 'https://example.com/x']);
    expect(parts.map((p) => p.text).join('')).toBe('Look: https://example.com/page. Then (https://example.com/x), ok?');
  });

  it('keeps balanced parentheses inside a URL', () => {
    const parts = splitLinks('https://en.wikipedia.org/wiki/Foo_(bar)');
    expect(parts).toEqual([{ kind: 'link', text: 'https://en.wikipedia.org/wiki/Foo_(bar)', href: 'https://en.wikipedia.org/wiki/Foo_(bar)' }]);
  });

  it('never links other schemes', () => {
    for (const s of ['javascript:alert(1)', 'data:text/html,<script>x</script>', 'ftp://example.com', 'mailto:a@b.example']) {
      expect(splitLinks(s)).toEqual([{ kind: 'text', text: s }]);
    }
  });

  it('does not link a scheme with no host', () => {
    expect(splitLinks('http://')).toEqual([{ kind: 'text', text: 'http://' }]);
  });

  it('handles empty text and a link at the very start and end', () => {
    expect(splitLinks('')).toEqual([]);
    expect(splitLinks('https://a.example')).toEqual([{ kind: 'link', text: 'https://a.example', href: 'https://a.example/' }]);
  });

  it('shows no direction overrides: a link reads as where it goes, a file name as it is', () => {
    const parts = splitLinks('Please pay here: https://evil.example/\u202Emoc.knab-ruoy//:sptth and open invoice\u202Efdp.exe');
    expect(parts).toEqual([
      { kind: 'text', text: 'Please pay here: ' },
      { kind: 'link', text: 'https://evil.example/moc.knab-ruoy//:sptth', href: 'https://evil.example/moc.knab-ruoy//:sptth' },
      { kind: 'text', text: ' and open invoicefdp.exe' },
    ]);
    expect(splitLinks('a\u2066b\u2069c\u202Ad\u202Ce')).toEqual([{ kind: 'text', text: 'abcde' }]);
    // Direction marks only hint; they stay.
    expect(splitLinks('שלום\u200F!')).toEqual([{ kind: 'text', text: 'שלום\u200F!' }]);
  });
});

describe('trimBlankLines', () => {
  it('drops blank lines around a message and keeps its indentation', () => {
    expect(trimBlankLines('\n  \n    code()\n  more\n\n  ')).toBe('    code()\n  more');
    expect(trimBlankLines('   ')).toBe('');
    expect(trimBlankLines('plain')).toBe('plain');
  });
});
