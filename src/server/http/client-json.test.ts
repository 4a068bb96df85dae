import { describe, expect, it } from 'vitest';
import { parseClientJson } from './client-json.js';

describe('parseClientJson', () => {
  it('replaces every lone surrogate, in values and keys at any depth, and keeps pairs', () => {
    const text = String.raw`{"a":"x\ud800y","list":["\udc00",{"deep":"\ud83d"}],"k\udfff":1,"pair":"\ud83d\ude00","plain":"ok"}`;
    expect(parseClientJson(text)).toEqual({ a: 'x\ufffdy', list: ['\ufffd', { deep: '\ufffd' }], 'k\ufffd': 1, pair: '😀', plain: 'ok' });
  });

  it('answers well-formed JSON as JSON.parse does, an escaped backslash included', () => {
    for (const text of ['{"a":1,"b":[true,null,"é"]}', '"\\\\ud800"', '[]', '42']) expect(parseClientJson(text)).toEqual(JSON.parse(text));
  });

  it('throws on text that is not JSON', () => {
    expect(() => parseClientJson('{not json')).toThrow(SyntaxError);
  });
});
