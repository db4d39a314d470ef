/**
 * The register's names for EANs, fetched once per page load (`GET /api/v1/ops/endpoints`), so lists
 * that carry only an EAN can say which hospital or municipality it is.
 */
import { useEffect, useState } from 'preact/hooks';
import type { EndpointStatus } from '../../src/app/ops-endpoints.js';
import { api } from './api.js';

let names: Promise<ReadonlyMap<string, string>> | null = null;

function loadNames(): Promise<ReadonlyMap<string, string>> {
  names ??= api.get<{ endpoints: EndpointStatus[] }>('/api/v1/ops/endpoints').then(
    (list) => new Map(list.endpoints.map((e) => [e.ean, e.name])),
    () => {
      names = null;
      return new Map();
    },
  );
  return names;
}

export function useEndpointNames(): ReadonlyMap<string, string> {
  const [known, setKnown] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    void loadNames().then((map) => live && setKnown(map));
    return () => {
      live = false;
    };
  }, []);
  return known;
}

/** An EAN with the register's name for it, when there is one. */
export function Ean({ ean, names }: { ean: string; names: ReadonlyMap<string, string> }) {
  const name = names.get(ean);
  return (
    <span class="endpoint-ref">
      {name ? <span class="name">{name}</span> : null}
      <span class="mono ean">{ean}</span>
    </span>
  );
}
