// {{packageroot}}, {{configroot}}, {{logroot}}, {{dataroot}} and {{volumeroot}} in configuration values. Only
// these names are replaced; any other "{{" (a template of the product's own, say) stays as it is.
import type { PathVariable } from './layout.ts';

const VARIABLE = /\{\{(packageroot|configroot|logroot|dataroot|volumeroot)\}\}/g;

export function substituteVariables(text: string, variables: Record<PathVariable, string>): string {
  return text.replace(VARIABLE, (_match, name: PathVariable) => variables[name]);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The same for file contents; bytes that are not UTF-8 text (keystores, say) are left alone. */
export function substituteInFile(data: Buffer, variables: Record<PathVariable, string>): Buffer {
  if (!data.includes('{{')) return data;
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return data;
  }
  return Buffer.from(substituteVariables(text, variables), 'utf8');
}
