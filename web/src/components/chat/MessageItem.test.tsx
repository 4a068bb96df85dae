import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../../src/shared/api/shapes.js';
import { MessageItem, RichText } from './MessageItem.js';

function msg(over: Partial<Message> = {}): Message {
  return { id: 'm1', conversationId: 'c1', seq: 7, clientId: 'x', senderId: 'u1', body: '', files: [], createdAt: '2024-01-01T10:00:00.000Z', changeSeq: 0, ...over };
}

const noop = async () => undefined;

describe('message rendering', () => {
  it('never turns message text into markup', () => {
    const html = renderToString(<RichText text={'<img src=x onerror="alert(1)"> <script>alert(2)</script> javascript:alert(3)'} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('href');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
  });

  it('links only http(s) URLs, opened safely', () => {
    const html = renderToString(<RichText text="docs at https://example.com/a?b=1&c=2, thanks" />);
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">https://example.com/a?b=1&amp;c=2</a>');
    expect(html.match(/<a /g)).toHaveLength(1);
  });

  it('shows images inline and other files as downloads, and a tombstone for deleted messages', () => {
    const files = [
      { id: 'f1', name: 'p.png', size: 10, contentType: 'image/png', sha256: '', conversationId: 'c1', uploaderId: 'u1', createdAt: '' },
      { id: 'f2', name: 'evil.svg', size: 10, contentType: 'image/svg+xml', sha256: '', conversationId: 'c1', uploaderId: 'u1', createdAt: '' },
    ];
    const html = renderToString(<MessageItem message={msg({ body: 'see', files })} mine={false} senderName="Ann" showSender seen={false} onEdit={noop} onDelete={() => undefined} />);
    expect(html).toContain('src="/api/v1/files/f1?inline=1"');
    // Opening the thumbnail shows the picture (inline), rather than downloading it.
    expect(html).toContain('class="file-image" href="/api/v1/files/f1?inline=1"');
    // SVG can carry script: it is offered as a download, never shown inline.
    expect(html).not.toContain('f2?inline=1');
    expect(html).toContain('href="/api/v1/files/f2" download="evil.svg"');
    expect(html).toContain('data-seq="7"');

    const gone = renderToString(<MessageItem message={msg({ body: '', deletedAt: '2024-01-02T00:00:00.000Z' })} mine senderName={null} showSender={false} seen={false} onEdit={noop} onDelete={() => undefined} />);
    expect(gone).toContain('Message deleted');
    expect(gone).not.toContain('Edit message');
  });

  it('offers edit and delete on my own messages only, and marks them seen', () => {
    const mine = renderToString(<MessageItem message={msg({ body: 'hi' })} mine senderName={null} showSender={false} seen onEdit={noop} onDelete={() => undefined} />);
    expect(mine).toContain('aria-label="Edit message"');
    expect(mine).toContain('aria-label="Delete message"');
    expect(mine).toContain('Seen');
    const theirs = renderToString(<MessageItem message={msg({ body: 'hi' })} mine={false} senderName="Ann" showSender seen={false} onEdit={noop} onDelete={() => undefined} />);
    expect(theirs).not.toContain('Edit message');
    expect(theirs).toContain('Ann');
  });

  it('shows a note about the group as a quiet line, without sender, bubble or actions, even to its author', () => {
    const note = msg({ body: 'Ann added <b>Bob</b>', system: { action: 'members_added', actorId: 'u1', userIds: ['u2'] } });
    const html = renderToString(<MessageItem message={note} mine senderName="Ann" showSender seen onEdit={noop} onDelete={() => undefined} />);
    expect(html).toContain('data-testid="system-note"');
    expect(html).toContain('Ann added &lt;b&gt;Bob&lt;/b&gt;');
    expect(html).not.toContain('msg-bubble');
    expect(html).not.toContain('Edit message');
    expect(html).not.toContain('Delete message');
    expect(html).not.toContain('Seen');
    expect(html).not.toContain('msg-sender');
  });
});
