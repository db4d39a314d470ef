/**
 * The XML namespaces MedCom messages arrive in. The namespace depends on the schema generation,
 * not on the message type (medcom.md §0.2), so a message type may arrive in several of them.
 */
export const NS_2005 = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/';
export const NS_2006 = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2006/07/01/';
export const NS_2007 = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2007/02/01/';
export const NS_2009 = 'http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2009/08/01/';
/** The municipality family: `urn:oio:medcom:municipality:1.0.x`; elements of one message mix minor versions. */
export const NS_MUNICIPALITY_PREFIX = 'urn:oio:medcom:municipality:1.0.';
export const NS_MUNICIPALITY_1_0_3 = 'urn:oio:medcom:municipality:1.0.3';
export const NS_MUNICIPALITY_1_0_4 = 'urn:oio:medcom:municipality:1.0.4';
/** FHIR, for the MedCom Acknowledgement that replaces the XCTL receipts. */
export const NS_FHIR = 'http://hl7.org/fhir';
/** The gateway's own extension inside `Local_Elements` (DESIGN.md, "Settings, demo network, extension"). */
export const NS_GATEWAY_EXTENSION = 'urn:medcom-gateway:extension:1';

export type GenerationId = '2005/08/07' | '2006/07/01' | '2007/02/01' | '2009/08/01' | 'municipality' | 'fhir';

export interface SchemaGeneration {
  readonly id: GenerationId;
  /** Namespaces the root `Emessage` may carry in this generation. */
  readonly rootNamespaces: readonly string[];
  /** Whether every element of a message must sit in the root's namespace (true for the OIO generations with an XSD). */
  readonly singleNamespace: boolean;
  /** Folder of MedCom's published XSDs holding the schema for this generation, when one exists. */
  readonly xsdFolder: string | null;
}

export const GENERATIONS: Readonly<Record<GenerationId, SchemaGeneration>> = {
  '2005/08/07': { id: '2005/08/07', rootNamespaces: [NS_2005], singleNamespace: true, xsdFolder: '2005/08/07' },
  '2006/07/01': { id: '2006/07/01', rootNamespaces: [NS_2006], singleNamespace: true, xsdFolder: '2006/07/01' },
  '2007/02/01': { id: '2007/02/01', rootNamespaces: [NS_2007], singleNamespace: true, xsdFolder: '2007/02/01' },
  '2009/08/01': { id: '2009/08/01', rootNamespaces: [NS_2009], singleNamespace: true, xsdFolder: null },
  municipality: {
    id: 'municipality',
    rootNamespaces: [NS_MUNICIPALITY_1_0_3, NS_MUNICIPALITY_1_0_4],
    singleNamespace: false,
    xsdFolder: null,
  },
  fhir: { id: 'fhir', rootNamespaces: [NS_FHIR], singleNamespace: false, xsdFolder: null },
};

/** Which generation a root namespace belongs to, or undefined for a namespace the gateway does not speak. */
export function generationOfRootNamespace(ns: string): SchemaGeneration | undefined {
  for (const generation of Object.values(GENERATIONS)) {
    if (generation.rootNamespaces.includes(ns)) return generation;
  }
  return undefined;
}

/** True when `ns` belongs to the municipality family (any 1.0.x minor version). */
export function isMunicipalityNamespace(ns: string): boolean {
  return ns.startsWith(NS_MUNICIPALITY_PREFIX) && /^\d+$/.test(ns.slice(NS_MUNICIPALITY_PREFIX.length));
}
