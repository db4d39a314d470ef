/**
 * The checks a schema cannot express. Each is stricter than MedCom's XSD, so the conformance test
 * lists them as the legitimate differences between the two verdicts.
 */
import type { MessageTypeDefinition } from '../domain/catalogue.js';
import { classifyCpr } from '../domain/cpr.js';
import { glnCheckDigit, isGlnShaped, isValidGln } from '../domain/gln.js';
import { issue, type ValidationIssue } from './issues.js';
import { META, childPath, forEachChild, isElement, type XmlDocument, type XmlElement } from './xml-tree.js';

export interface CheckedLetter {
  readonly type: MessageTypeDefinition;
  readonly element: XmlElement;
  readonly path: string;
}

/** Offset of the `index`th child called `name` of `parent`, for line numbers. */
function childOffset(parent: XmlElement, name: string, index = 0): number | undefined {
  return parent[META].children.filter((child) => child.name === name)[index]?.offset;
}

function firstText(parent: XmlElement | undefined, name: string): string | undefined {
  const value = parent?.[name];
  const first = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'string' ? first : undefined;
}

function firstElement(parent: XmlElement | undefined, name: string): XmlElement | undefined {
  const value = parent?.[name];
  const first = Array.isArray(value) ? value[0] : undefined;
  return isElement(first) ? first : undefined;
}

export function semanticChecks(letters: readonly CheckedLetter[], document: XmlDocument): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const position = (offset: number | undefined) => (offset === undefined ? undefined : document.position(offset));
  const firstUse = new Map<string, string>();
  for (const { type, element, path } of letters) {
    const head = firstElement(element, 'Letter');
    const statistical = firstText(head, 'StatisticalCode');
    if (head && statistical !== undefined && statistical !== type.statisticalCode) {
      issues.push(
        issue(
          'inconsistent-codes',
          `${path}/Letter/StatisticalCode`,
          `StatisticalCode "${statistical}" does not match the ${type.rootElement} letter (VersionCode ${firstText(head, 'VersionCode') ?? '?'}); expected "${type.statisticalCode}"`,
          position(childOffset(head, 'StatisticalCode')),
        ),
      );
    }
    const letterId = firstText(head, 'Identifier');
    if (head && letterId !== undefined) {
      const earlier = firstUse.get(letterId);
      if (earlier) {
        issues.push(
          issue(
            'inconsistent-codes',
            `${path}/Letter/Identifier`,
            `the letter identifier "${letterId}" is already used by ${earlier} in this Emessage; each letter needs its own`,
            position(childOffset(head, 'Identifier')),
          ),
        );
      } else firstUse.set(letterId, path);
    }
    const patient = firstElement(element, 'Patient');
    const cpr = firstText(patient, 'CivilRegistrationNumber');
    if (patient && cpr !== undefined && /^[0-9]{10}$/.test(cpr)) {
      const verdict = classifyCpr(cpr);
      const cprPath = `${path}/Patient/CivilRegistrationNumber`;
      const at = verdict.kind === 'cpr' ? undefined : position(childOffset(patient, 'CivilRegistrationNumber'));
      // Never echo the number itself: error texts end up in logs and problem responses.
      if (verdict.kind === 'invalid') {
        issues.push(issue('invalid-cpr', cprPath, `the CPR number is not valid: ${verdict.reason ?? ''}`, at));
      } else if (verdict.kind === 'replacement') {
        issues.push(issue('invalid-cpr', cprPath, 'the CPR number is a replacement number (erstatningspersonnummer), not a CPR-registered one', at, 'warning'));
      } else if (verdict.kind === 'unknown-placeholder') {
        issues.push(issue('invalid-cpr', cprPath, 'the CPR number is 0000000000 (unknown); the receiver cannot match it to a citizen', at, 'warning'));
      }
    }
    issues.push(...glnWarnings(element, path, document));
  }
  return issues;
}

/** A 13-digit EANIdentifier with a wrong check digit is very likely a typo; warn, since MedCom's XSD allows any text. */
function glnWarnings(element: XmlElement, path: string, document: XmlDocument): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const visit = (node: XmlElement, nodePath: string): void => {
    forEachChild(node, (child, value, index) => {
      if (child.name === 'EANIdentifier' && typeof value === 'string' && isGlnShaped(value) && !isValidGln(value)) {
        issues.push(
          issue(
            'gln-check-digit',
            childPath(nodePath, child.name, index),
            `the EAN/GLN ${value} has a wrong check digit (expected ${glnCheckDigit(value.slice(0, 12))} at the end); check the number`,
            document.position(child.offset),
            'warning',
          ),
        );
      } else if (isElement(value)) visit(value, childPath(nodePath, child.name, index));
    });
  };
  visit(element, path);
  return issues;
}
