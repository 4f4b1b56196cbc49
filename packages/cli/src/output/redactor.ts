/**
 * Removes secrets from text before it reaches a terminal or a log: the values themselves and the
 * forms a client puts on the wire (HTTP basic auth is base64 of `user:password`). Every message
 * the CLI prints goes through one of these, whatever produced it (our code, a client library's
 * error, a cause chain).
 */
export class Redactor {
  private readonly secrets: string[] = [];

  add(secret: string | undefined): void {
    if (secret === undefined || secret.length < 3) return;
    for (const form of [
      secret,
      encodeURIComponent(secret),
      Buffer.from(secret).toString('base64'),
    ]) {
      if (!this.secrets.includes(form)) this.secrets.push(form);
    }
    // Longest first, so a secret that contains another is removed whole.
    this.secrets.sort((a, b) => b.length - a.length);
  }

  /** Adds the pair as basic auth sends it (base64 of `user:password`). */
  addBasicAuth(username: string | undefined, password: string | undefined): void {
    this.add(password);
    if (username !== undefined && password !== undefined) this.add(`${username}:${password}`);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join('***');
    return result;
  }
}
