import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../../src/emulator/xml/query.js';
import { parseXml } from '../../src/emulator/xml/tree.js';

describe('request XML parser', () => {
  it('reads elements, attributes, entities, CDATA and comments', () => {
    const r = parseXml(
      `\uFEFF<?xml version="1.0" encoding="utf-8" ?><!-- c --><a x='1' y="&lt;&amp;&#39;&#x41;"><b>T &amp; &quot;U&quot;</b><c/><d><![CDATA[<raw> & ]]></d>\n</a>\n`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.root.name).toBe('a');
    expect(r.root.attrs).toEqual({ x: '1', y: "<&'A" });
    expect(r.root.children.map((c) => c.name)).toEqual(['b', 'c', 'd']);
    expect(r.root.children[0]!.text).toBe('T & "U"');
    expect(r.root.children[2]!.text).toBe('<raw> & ');
  });

  it.each([
    ['<a><b></a>', /Fatal Error 76: Opening and ending tag mismatch: b and a at line 1/],
    ['<a>', /Fatal Error 77: Premature end of data in tag a/],
    ['<a>&bogus;</a>', /Fatal Error 26: Entity 'bogus' not defined/],
    ['<a>AT&T</a>', /Fatal Error 68/],
    ['<a/><b/>', /Fatal Error 5: Extra content/],
    ['hello', /Fatal Error 4/],
    ['<a x="<"/>', /Fatal Error 38/],
    ['<a x="1" x="2"/>', /Fatal Error 42/],
    ['<a>\n\n</b>', /line 3/],
    ['<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', /DOCTYPE/],
    ['', /Document is empty/],
  ])('refuses %j', (text, message) => {
    const r = parseXml(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(message);
  });

  it('round-trips any text content through escaping', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const escaped = value
          .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]/g, '')
          .replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;');
        const r = parseXml(`<v>${escaped}</v>`);
        expect(r.ok).toBe(true);
        if (r.ok)
          expect(r.root.text).toBe(
            escaped.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
          );
      }),
    );
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const r = parseXml(text);
        expect(typeof r.ok).toBe('boolean');
      }),
    );
  });
});

describe('readByQuery query strings', () => {
  it('parses precedence: AND binds tighter than OR', () => {
    expect(parseQuery("A = '1' OR B = '2' AND C = '3'")).toEqual({
      kind: 'or',
      items: [
        { kind: 'cmp', field: 'A', op: '=', value: '1' },
        {
          kind: 'and',
          items: [
            { kind: 'cmp', field: 'B', op: '=', value: '2' },
            { kind: 'cmp', field: 'C', op: '=', value: '3' },
          ],
        },
      ],
    });
  });

  it.each(["A = 'x", 'A ==', 'A IN (1, 2', "A = '1' B", '(A = 1', 'A IS MAYBE'])('refuses %j', (q) => {
    expect(() => parseQuery(q)).toThrow();
  });
});
