/**
 * Every element of an OIOXML message must sit in the namespace its schema generation defines: MedCom's
 * XSDs are `elementFormDefault="qualified"`, so an element in another (or no) namespace is simply not
 * the element the XSD declares. The municipality generation mixes 1.0.x minor versions inside one
 * message, so there any namespace of that family is accepted.
 * `Local_Elements` is `xs:anyType` in the XSD: its content is the sender's own and is not checked here.
 */
import { isMunicipalityNamespace, type SchemaGeneration } from '../domain/namespaces.js';
import { issue, type ValidationIssue } from './issues.js';
import { childPath, forEachChild, type XmlDocument, type XmlElement } from './xml-tree.js';

const XHTML = 'http://www.w3.org/1999/xhtml';

function expectedNamespace(generation: SchemaGeneration, rootNamespace: string): (ns: string) => boolean {
  if (generation.id === 'municipality') return isMunicipalityNamespace;
  if (generation.id === 'fhir') return (ns) => ns === rootNamespace || ns === XHTML;
  return (ns) => ns === rootNamespace;
}

function describeExpected(generation: SchemaGeneration, rootNamespace: string): string {
  return generation.id === 'municipality' ? 'a namespace urn:oio:medcom:municipality:1.0.x' : `the namespace ${rootNamespace}`;
}

export function checkNamespaces(document: XmlDocument, generation: SchemaGeneration): ValidationIssue[] {
  const accepts = expectedNamespace(generation, document.rootNamespace);
  const issues: ValidationIssue[] = [];
  const visit = (element: XmlElement, path: string): void => {
    forEachChild(element, (child, node, index) => {
      if (!accepts(child.ns)) {
        issues.push(
          issue(
            'wrong-namespace',
            childPath(path, child.name, index),
            `<${child.name}> is in ${child.ns ? `the namespace ${child.ns}` : 'no namespace'}; expected ${describeExpected(generation, document.rootNamespace)}`,
            document.position(child.offset),
          ),
        );
        return;
      }
      if (child.name === 'Local_Elements' && path === '/Emessage') return;
      if (typeof node === 'object') visit(node, childPath(path, child.name, index));
    });
  };
  visit(document.root, `/${document.rootName}`);
  return issues;
}
