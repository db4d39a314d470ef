/** Numbered parameters for a statement built from optional filters: `param(value)` returns its `$n`. */
export function sqlParameters(): { readonly params: unknown[]; readonly param: (value: unknown) => string } {
  const params: unknown[] = [];
  return {
    params,
    param: (value) => {
      params.push(value);
      return `$${params.length}`;
    },
  };
}
