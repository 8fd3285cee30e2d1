// Static bearer tokens from a file (`--token-auth-file`), in Kubernetes' CSV format: one user per
// line, `token,user,uid,"group1,group2"`; the groups column is optional. The file is read once,
// at start: changing it needs a restart, as in Kubernetes.
import { readFile } from 'node:fs/promises';
import type { CredentialResult } from './authenticator.ts';
import type { UserInfo } from './user.ts';

export class TokenFileError extends Error {}

/** Parses the file's text into token → user. Throws TokenFileError naming the line at fault. */
export function parseTokenFile(text: string, path: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const where = `token file ${path} line ${i + 1}`;
    let fields: string[];
    try {
      fields = csvFields(lines[i]);
    } catch (err) {
      throw new TokenFileError(`${where}: ${(err as Error).message}`);
    }
    if (fields.length < 3) throw new TokenFileError(`${where}: needs at least 3 columns (token, user name, user uid), found ${fields.length}`);
    const [token, username, uid, groups] = fields;
    if (token === '') throw new TokenFileError(`${where}: the token is empty`);
    if (username === '') throw new TokenFileError(`${where}: the user name is empty`);
    if (users.has(token)) throw new TokenFileError(`${where}: the same token is already given to user ${JSON.stringify(users.get(token)!.username)}`);
    users.set(token, {
      username,
      uid,
      groups: (groups ?? '').split(',').map((g) => g.trim()).filter((g) => g.length > 0),
    });
  }
  return users;
}

/** Authenticates the tokens of one token file. */
export class StaticTokens {
  private readonly users: Map<string, UserInfo>;

  constructor(users: Map<string, UserInfo>) {
    this.users = users;
  }

  static async load(path: string): Promise<StaticTokens> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new TokenFileError(`cannot read token file ${path}: ${(err as Error).message}`);
    }
    return new StaticTokens(parseTokenFile(text, path));
  }

  authenticateToken(token: string): CredentialResult {
    const user = this.users.get(token);
    return user ? { user: { ...user, groups: [...user.groups] } } : undefined;
  }
}

/**
 * Splits one CSV record: fields separated by commas, leading spaces dropped, a field in double
 * quotes may hold commas and "" for a quote.
 */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('a quoted field is not closed');
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error(`unexpected ${JSON.stringify(line[i])} after a quoted field`);
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      if (field.includes('"')) throw new Error('a quote inside an unquoted field; quote the whole field');
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}
