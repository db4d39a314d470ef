/**
 * The tree the codec reads a message as (the convention is described in xml-tree.ts). Its own module
 * so the parser that builds it and the helpers that read it can both use it without depending on each
 * other.
 */
export const META: unique symbol = Symbol('medcom-xml-meta');

export interface ChildMeta {
  readonly name: string;
  readonly ns: string;
  /** Offset of the child's start tag in the text (for line/column on demand). */
  readonly offset: number;
}

export interface ElementMeta {
  readonly name: string;
  readonly ns: string;
  readonly offset: number;
  /** Every child element in document order, including those that became plain strings. */
  readonly children: readonly ChildMeta[];
}

export type XmlNode = string | XmlElement;

export interface XmlElement {
  [key: string]: XmlNode[] | string;
  [META]: ElementMeta;
}

export interface XmlDocument {
  readonly root: XmlElement;
  readonly rootName: string;
  readonly rootNamespace: string;
  readonly elementCount: number;
  /** Line and column (1-based) of a text offset. */
  position(offset: number): { line: number; column: number };
}
