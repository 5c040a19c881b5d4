/** The dependency token a definition asks for: `record` runs one operation at a time per record. */
export function dependencyTokenOf(compiled: { definition: unknown }, entity: string, recordId: string): string | null {
  const header = compiled.definition as { dependencyToken?: string };
  return header.dependencyToken === 'record' ? `${entity}:${recordId}` : null;
}
