// Environment files: one KEY=value line per variable, readable both by a POSIX shell (`. file`)
// and by systemd's EnvironmentFile=. Values with anything but plainly safe characters are put in
// single quotes, inside which both read every character literally; a single quote itself is
// written as '\'' (close, escaped quote, reopen), which both understand too. Keys are sorted so
// equal input gives byte-identical files.

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Characters neither the shell nor systemd treat specially outside quotes. */
const SAFE_VALUE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** The environment file for `entries`; throws a RangeError for a name that is not a variable name or a value with NUL (see `merge`, which rejects it earlier). */
export function writeEnvFile(entries: Readonly<Record<string, string>>): string {
  return Object.keys(entries)
    .sort()
    .map((name) => {
      if (!ENV_NAME.test(name)) throw new RangeError(`"${name}" is not a valid environment variable name`);
      if (entries[name].includes('\0')) throw new RangeError(`the value of ${name} contains a NUL character, which environment variables cannot hold`);
      return `${name}=${quote(entries[name])}\n`;
    })
    .join('');
}

function quote(value: string): string {
  return SAFE_VALUE.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}
