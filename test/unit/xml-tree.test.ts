import { describe, expect, it } from 'vitest';
import { META, childrenOf, parseXml, type XmlElement } from '../../src/codec/xml-tree.js';

function parsed(xml: string) {
  const result = parseXml(xml);
  if (!result.ok) throw new Error(`expected to parse: ${JSON.stringify(result.issues)}`);
  return result.document;
}

function failure(xml: string, limits?: { maxDepth: number; maxElements: number }) {
  const result = parseXml(xml, limits);
  if (result.ok) throw new Error('expected a failure');
  expect(result.issues).toHaveLength(1);
  return result.issues[0]!;
}

describe('parseXml: refusing dangerous input', () => {
  it('refuses a DOCTYPE with entity expansion (billion laughs) before parsing', () => {
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n<Emessage>&lol2;</Emessage>`;
    const found = failure(laughs);
    expect(found.code).toBe('forbidden-declaration');
    expect(found.line).toBe(2);
    expect(found.message).toMatch(/DOCTYPE/);
  });

  it('refuses an external entity (XXE)', () => {
    const xxe = `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Emessage>&xxe;</Emessage>`;
    expect(failure(xxe).code).toBe('forbidden-declaration');
  });

  it('refuses an entity that is not one of the five predefined ones', () => {
    const found = failure('<a>caf&eacute;</a>');
    expect(found.code).toBe('not-well-formed');
    expect(found.message).toMatch(/&eacute;/);
  });

  it('refuses a bare ampersand', () => {
    expect(failure('<a>Hansen & Søn</a>').code).toBe('not-well-formed');
  });

  it('enforces the depth limit', () => {
    const deep = `${'<a>'.repeat(20)}x${'</a>'.repeat(20)}`;
    const found = failure(deep, { maxDepth: 10, maxElements: 1000 });
    expect(found.code).toBe('limit-exceeded');
    expect(found.message).toMatch(/10 levels/);
  });

  it('enforces the element count limit', () => {
    const wide = `<a>${'<b>1</b>'.repeat(50)}</a>`;
    expect(failure(wide, { maxDepth: 10, maxElements: 20 }).code).toBe('limit-exceeded');
  });

  it('reports line and column of malformed XML', () => {
    const found = failure('<Emessage>\n  <Envelope>\n    <Sent></Envelope>\n</Emessage>');
    expect(found.code).toBe('not-well-formed');
    expect(found.line).toBe(3);
    expect(found.column).toBeGreaterThan(0);
  });

  it('refuses an undeclared namespace prefix', () => {
    expect(failure('<m:Emessage><m:Envelope/></m:Emessage>').message).toMatch(/prefix "m"/);
  });
});

describe('parseXml: the tree', () => {
  it('resolves default and prefixed namespaces and keeps element order and positions', () => {
    const doc = parsed('<m:Emessage xmlns:m="urn:a" xmlns="urn:b">\n  <Envelope><Identifier>X1</Identifier></Envelope>\n  <m:Letter/>\n</m:Emessage>');
    expect(doc.rootName).toBe('Emessage');
    expect(doc.rootNamespace).toBe('urn:a');
    const children = doc.root[META].children;
    expect(children.map((c) => [c.name, c.ns])).toEqual([
      ['Envelope', 'urn:b'],
      ['Letter', 'urn:a'],
    ]);
    expect(doc.position(children[1]!.offset)).toEqual({ line: 3, column: 3 });
    const envelope = childrenOf(doc.root, 'Envelope')[0] as XmlElement;
    expect(childrenOf(envelope, 'Identifier')).toEqual(['X1']);
    expect(childrenOf(doc.root, 'Letter')).toEqual(['']);
  });

  it('always makes arrays of children so a repeated element is visible', () => {
    const doc = parsed('<a><b>1</b><b>2</b></a>');
    expect(childrenOf(doc.root, 'b')).toEqual(['1', '2']);
  });

  it('decodes predefined entities and character references, and keeps CDATA literal', () => {
    const doc = parsed('<a><b>Hansen &amp; S&#248;n &#x2013; &lt;ok&gt;</b><c><![CDATA[a &amp; b]]></c></a>');
    expect(childrenOf(doc.root, 'b')).toEqual(['Hansen & Søn – <ok>']);
    expect(childrenOf(doc.root, 'c')).toEqual(['a &amp; b']);
  });

  it('keeps mixed content text under #text beside the markup elements', () => {
    const doc = parsed('<Text01>Første linje<Break/>anden linje</Text01>');
    expect(doc.root['#text']).toBe('Første linjeanden linje');
    expect(childrenOf(doc.root, 'Break')).toEqual(['']);
  });

  it('shows attributes as @name but drops namespace declarations and xsi attributes', () => {
    const doc = parsed('<a xmlns="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:x x.xsd" id="7"><b/></a>');
    expect(Object.keys(doc.root)).toEqual(['@id', 'b']);
  });
});
