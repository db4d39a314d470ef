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

describe('parseXml: strict well-formedness', () => {
  const refusals: [string, string, RegExp][] = [
    ['a second root element', '<a/><b/>', /a second root element <b>/],
    ['text after the root element', '<a/>x', /only comments, processing instructions and white space may follow/],
    ['text before the root element', 'x<a/>', /text is not allowed before the root element/],
    ['no root element', '<?xml version="1.0"?><!-- only a comment -->', /no root element/],
    ['an unclosed element at the end', '<a><b>x</b>', /ends before <a> \(line 1, column 1\) is closed/],
    ['a "<" in text', '<a>1 < 2</a>', /"<" in text must be written as &lt;/],
    ['"]]>" in text', '<a>x]]>y</a>', /"]]>" is not allowed in text/],
    ['a "<" in an attribute value', '<a b="<"/>', /"<" in an attribute value/],
    ['an attribute twice', '<a b="1" b="2"/>', /the attribute "b" appears twice/],
    ['the same attribute through two prefixes', '<a xmlns:p="urn:x" xmlns:q="urn:x" p:b="1" q:b="2"/>', /are the same attribute/],
    ['an attribute without a value', '<a b/>', /the attribute "b" has no value/],
    ['an unquoted attribute value', '<a b=1/>', /must be in quotes/],
    ['attributes without white space between them', '<a b="1"c="2"/>', /separated by white space/],
    ['"--" inside a comment', '<a><!-- x -- y --></a>', /may not contain "--"/],
    ['an unclosed comment', '<a><!-- x </a>', /comment is not closed/],
    ['an unclosed CDATA section', '<a><![CDATA[x</a>', /CDATA section is not closed/],
    ['a CDATA section outside the root', '<![CDATA[x]]><a/>', /CDATA section is not allowed before/],
    ['an XML declaration that is not first', ' <?xml version="1.0"?><a/>', /only allowed at the very start/],
    ['an XML declaration inside the root', '<a><?xml version="1.0"?></a>', /only allowed at the very start/],
    ['an XML declaration without a version', '<?xml encoding="UTF-8"?><a/>', /XML declaration is malformed/],
    ['an XML declaration with its parts out of order', '<?xml encoding="UTF-8" version="1.0"?><a/>', /XML declaration is malformed/],
    ['an element name starting with a digit', '<a><1b/></a>', /"<" in text must be written as &lt;/],
    ['a name with two colons', '<a:b:c xmlns:a="urn:x"/>', /not a valid qualified name/],
    ['an undeclared attribute prefix', '<a p:b="1"/>', /prefix "p" of the attribute "p:b" is not declared/],
    ['a prefix declared empty', '<a xmlns:p=""/>', /empty namespace name/],
    ['the xml prefix bound elsewhere', '<a xmlns:xml="urn:x"/>', /may only be bound to/],
    ['a character reference without digits', '<a>&#;</a>', /character reference must read/],
    ['a character reference beyond U+10FFFF', '<a>&#x110000;</a>', /beyond U\+10FFFF/],
    ['a reference without its semicolon', '<a>&amp x</a>', /bare "&"/],
    ['markup declarations inside the root', '<a><!ELEMENT x ANY></a>', /only comments and CDATA sections/],
  ];
  for (const [what, xml, message] of refusals) {
    it(`refuses ${what}`, () => {
      const found = failure(xml);
      expect(found.code).toBe('not-well-formed');
      expect(found.message).toMatch(message);
      expect(found.line).toBe(1);
      expect(found.column).toBeGreaterThan(0);
    });
  }

  it('names both tags and where the start tag is when an end tag does not match', () => {
    const found = failure('<Emessage>\n  <Envelope>\n    <Sent></Envelope>\n</Emessage>');
    expect(found).toMatchObject({ line: 3, column: 11 });
    expect(found.message).toMatch(/the end tag <\/Envelope> does not match the start tag <Sent> \(line 3, column 5\)/);
  });

  it('points at the reference itself when one is wrong', () => {
    expect(failure('<a>\n  <b>x &nbsp; y</b>\n</a>')).toMatchObject({ line: 2, column: 8, path: '/a/b' });
  });

  it('counts lines and columns in the text as sent, carriage returns included', () => {
    const doc = parsed('<a>\r\n  <b/>\r\n  <c/>\r\n</a>');
    expect(doc.root[META].children.map((c) => doc.position(c.offset))).toEqual([
      { line: 2, column: 3 },
      { line: 3, column: 3 },
    ]);
  });

  it('accepts what XML allows around the root: declaration, comments, processing instructions, white space', () => {
    const doc = parsed('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<!-- before -->\n<?pi x?>\n<a>x</a>\n<!-- after -->\n');
    expect(doc.root['#text']).toBe('x');
  });

  it('normalises white space in attribute values as XML says, keeping characters given by reference', () => {
    const doc = parsed('<a><b v="x\ty\r\nz&#10;w"/></a>');
    expect((childrenOf(doc.root, 'b')[0] as XmlElement)['@v']).toBe('x y z\nw');
  });

  it('keeps a comment from splitting a run of text, and normalises line ends in text and CDATA', () => {
    const doc = parsed('<a><b>x<!-- c -->y</b><c>1\r\n2<![CDATA[3\r4]]></c></a>');
    expect(childrenOf(doc.root, 'b')).toEqual(['xy']);
    expect(childrenOf(doc.root, 'c')).toEqual(['1\n23\n4']);
  });

  it('keeps element names that are also names of JavaScript object properties as ordinary children', () => {
    const doc = parsed('<a><constructor>1</constructor><constructor>2</constructor><__proto__>3</__proto__><toString/></a>');
    expect(Object.keys(doc.root)).toEqual(['constructor', '__proto__', 'toString']);
    expect(childrenOf(doc.root, 'constructor')).toEqual(['1', '2']);
    expect(childrenOf(doc.root, '__proto__')).toEqual(['3']);
    expect(Object.getPrototypeOf(doc.root)).toBe(Object.prototype);
  });

  it('reads names beyond ASCII', () => {
    const doc = parsed('<æble><øl·x>1</øl·x></æble>');
    expect(doc.rootName).toBe('æble');
    expect(childrenOf(doc.root, 'øl·x')).toEqual(['1']);
  });
});
