// Hadoop's configuration file format (core-site.xml, hdfs-site.xml, ...):
//   <configuration><property><name>..</name><value>..</value></property>...</configuration>
// Properties are sorted by name so equal input gives byte-identical files. Text is escaped for
// XML; a carriage return is written as &#13; because XML parsers turn a literal one into '\n'.

/** Characters XML 1.0 cannot carry at all, not even as character references. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** The XML document for `entries`; throws a RangeError for text XML cannot carry (see `merge`, which rejects it earlier). */
export function writeHadoopXml(entries: Readonly<Record<string, string>>): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<configuration>'];
  for (const name of Object.keys(entries).sort()) {
    lines.push(`  <property>`, `    <name>${escapeXml(name)}</name>`, `    <value>${escapeXml(entries[name])}</value>`, `  </property>`);
  }
  lines.push('</configuration>', '');
  return lines.join('\n');
}

function escapeXml(text: string): string {
  const bad = NOT_XML.exec(text);
  if (bad) throw new RangeError(`"${text}" contains U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which XML cannot carry`);
  return text.replace(/[&<>"'\r]/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;' };
