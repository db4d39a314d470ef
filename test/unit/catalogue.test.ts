import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MESSAGE_TYPES, findVariant, isReceiptType, messageType, messageTypeByRootElement, rootElementsOfGeneration } from '../../src/domain/catalogue.js';
import { GENERATIONS, generationOfRootNamespace, isMunicipalityNamespace } from '../../src/domain/namespaces.js';
import { SchemaRegistry } from '../../src/codec/schema-validator.js';
import { hasShared, sharedPath } from '../support/shared-dir.js';

const XSD_ROOT = sharedPath('medcom-xsd');
const haveXsd = hasShared('medcom-xsd');
if (!haveXsd) console.warn(`skipping the catalogue ↔ XSD cross-check: ${XSD_ROOT} is absent`);

describe('message catalogue', () => {
  it('carries every type the gateway promises', () => {
    expect(MESSAGE_TYPES.map((t) => t.code).sort()).toEqual(
      ['FCTL', 'GGOP', 'XCTL01', 'XCTL02', 'XCTL03', 'XDIS14', 'XDIS16', 'XDIS17', 'XDIS18', 'XDIS19', 'XDIS20', 'XDIS21', 'XDIS90', 'XDIS91'].sort(),
    );
  });

  it('has one type per letter root element', () => {
    const roots = MESSAGE_TYPES.map((t) => t.rootElement);
    expect(new Set(roots).size).toBe(roots.length);
    for (const type of MESSAGE_TYPES) expect(messageTypeByRootElement(type.rootElement)).toBe(type);
  });

  it('marks exactly the receipts as receipts', () => {
    expect(MESSAGE_TYPES.filter((t) => isReceiptType(t.code)).map((t) => t.code).sort()).toEqual(['FCTL', 'XCTL01', 'XCTL02', 'XCTL03']);
    expect(messageType('XCTL02').receiptKind).toBe('negative');
    expect(messageType('XCTL03').typeCode).toBeNull();
  });

  it('finds variants by generation and VersionCode', () => {
    const xdis18 = messageType('XDIS18');
    expect(findVariant(xdis18, '2007/02/01', 'XD1830C')?.hasXsd).toBe(true);
    expect(findVariant(xdis18, 'municipality', 'XD1834C')?.hasXsd).toBe(false);
    expect(findVariant(xdis18, '2005/08/07', 'XD1830C')).toBeUndefined();
    expect(rootElementsOfGeneration('2006/07/01')).toEqual(['ClinicalEmail']);
  });

  it('knows the namespaces of every generation', () => {
    expect(generationOfRootNamespace('http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/')?.id).toBe('2005/08/07');
    expect(generationOfRootNamespace('urn:oio:medcom:municipality:1.0.4')?.id).toBe('municipality');
    expect(generationOfRootNamespace('http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07')).toBeUndefined();
    expect(isMunicipalityNamespace('urn:oio:medcom:municipality:1.0.12')).toBe(true);
    expect(isMunicipalityNamespace('urn:oio:medcom:municipality:1.0.x')).toBe(false);
  });

  it('names a schema that exists and compiles for every variant', () => {
    const registry = new SchemaRegistry();
    for (const type of MESSAGE_TYPES) for (const variant of type.variants) expect(() => registry.validator(variant.schemaRef)).not.toThrow();
  });

  it.skipIf(!haveXsd)("agrees with MedCom's XSDs on root elements and VersionCodes", () => {
    for (const type of MESSAGE_TYPES) {
      for (const variant of type.variants.filter((v) => v.hasXsd)) {
        const folder = GENERATIONS[variant.generation].xsdFolder as string;
        const xsd = readFileSync(`${XSD_ROOT}/${folder}/${type.rootElement}.xsd`, 'utf8');
        expect(xsd, `${type.code} ${variant.versionCode}`).toContain(`<xs:element name="${type.rootElement}"`);
        expect(xsd, `${type.code} ${variant.versionCode}`).toContain(`<xs:pattern value="${variant.versionCode}"/>`);
      }
    }
  });
});
