/**
 * Retraining plans (GGOP) addressed as a test needs: `fixtures/valid/GGOP_rehabilitation_plan.xml`
 * with its sender, Receiver, copy receivers, plan type and consent (the gateway extension) rewritten,
 * and new envelope and letter identifiers. The parties' identifiers come from the demo network.
 */
import { readFileSync } from 'node:fs';
import { fromPackageRoot } from '../../src/package-root.js';
import { renumber } from './gateway.js';

interface DemoEndpoint {
  readonly ean: string;
  readonly name: string;
  readonly identifier?: string;
  readonly identifierCode?: string;
}

const demo = (JSON.parse(readFileSync(fromPackageRoot('config', 'endpoints.json'), 'utf8')) as { endpoints: DemoEndpoint[] }).endpoints;

export interface PlanSpec {
  /** New envelope identifier; the letter identifier becomes `${id}L`. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly cc?: readonly string[];
  /** The GPCCReceiver's EAN; null for none. Default: the fixture's (Lægehuset Demo). */
  readonly gp?: string | null;
  readonly type?: 'ZZ0175X' | 'ZZ0175Y' | 'ZZ0175Z';
  /** `<gw:Consent receiver="EAN">` per party. */
  readonly consent?: Readonly<Record<string, boolean>>;
}

/** A party element's content (the municipality generation's shared elements, prefix m0). */
function party(element: string, ean: string): string {
  const known = demo.find((e) => e.ean === ean);
  return [
    `<${element}>`,
    `<m0:EANIdentifier>${ean}</m0:EANIdentifier>`,
    `<m0:Identifier>${known?.identifier ?? ean}</m0:Identifier>`,
    `<m0:IdentifierCode>${known?.identifierCode ?? 'lokationsnummer'}</m0:IdentifierCode>`,
    `<m0:OrganisationName>${(known?.name ?? 'Ukendt modtager').slice(0, 35)}</m0:OrganisationName>`,
    `</${element}>`,
  ].join('');
}

export function retrainingPlan(spec: PlanSpec): Buffer {
  let xml = readFileSync(fromPackageRoot('fixtures', 'valid', 'GGOP_rehabilitation_plan.xml'), 'utf8');
  const replaceOnce = (pattern: RegExp, replacement: string): void => {
    if (!pattern.test(xml)) throw new Error(`the GGOP fixture has no ${pattern.source}`);
    xml = xml.replace(pattern, replacement);
  };
  replaceOnce(/(<m0:Sender>\s*<m0:EANIdentifier>)\d+/, `$1${spec.from}`);
  replaceOnce(/<m0:Receiver>[\s\S]*?<\/m0:Receiver>/, party('m0:Receiver', spec.to));
  const gp = spec.gp === undefined ? '5790000000050' : spec.gp;
  const copies = [gp === null ? '' : party('GPCCReceiver', gp), ...(spec.cc ?? []).map((ean) => party('CCReceiver', ean))].join('\n    ');
  replaceOnce(/<GPCCReceiver>[\s\S]*?<\/GPCCReceiver>\s*/, copies ? `${copies}\n    ` : '');
  replaceOnce(/<TypeOfRehabilitationPlan>ZZ0175X</, `<TypeOfRehabilitationPlan>${spec.type ?? 'ZZ0175X'}<`);
  if (spec.consent) {
    const statements = Object.entries(spec.consent)
      .map(([ean, given]) => `<gw:Consent receiver="${ean}">${given}</gw:Consent>`)
      .join('');
    replaceOnce(/<\/RehabilitationPlan>/, `</RehabilitationPlan>\n  <Local_Elements><gw:Gateway xmlns:gw="urn:medcom-gateway:extension:1">${statements}</gw:Gateway></Local_Elements>`);
  }
  return renumber(Buffer.from(xml, 'utf8'), { envelope: spec.id, letter: `${spec.id}L` });
}
