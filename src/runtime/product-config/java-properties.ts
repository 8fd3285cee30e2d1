// The java.util.Properties file format, as Properties.load reads it. ZooKeeper reads zoo.cfg
// (and its dynamic config file) with Properties.load, so this writer serves zoo.cfg as well.
//
// Escaping follows what Properties.store writes, so any key and value read back exactly:
// '\\' and the separators and comment starters '=', ':', '#', '!' get a backslash; tab, newline,
// carriage return and form feed become \t \n \r \f; spaces are escaped everywhere in keys and
// at the start of values (elsewhere in a value a space is kept as is); every character outside
// printable ASCII becomes \uXXXX, since Properties.load(InputStream) reads ISO-8859-1 bytes.
// The output is plain ASCII, one "key=value" line per entry, keys sorted, no timestamp comment
// (Properties.store adds one), so equal input gives byte-identical files.

/** The properties file for `entries`. */
export function writeJavaProperties(entries: Readonly<Record<string, string>>): string {
  return Object.keys(entries)
    .sort()
    .map((key) => `${escape(key, true)}=${escape(entries[key], false)}\n`)
    .join('');
}

function escape(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const code = text.charCodeAt(i);
    switch (c) {
      case '\\': out += '\\\\'; break;
      case '=': case ':': case '#': case '!': out += `\\${c}`; break;
      case '\t': out += '\\t'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\f': out += '\\f'; break;
      case ' ': out += isKey || i === 0 ? '\\ ' : ' '; break;
      default:
        // Code units, not code points: Java escapes each half of a surrogate pair.
        out += code < 0x20 || code > 0x7e ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : c;
    }
  }
  return out;
}
