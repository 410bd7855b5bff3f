/** Validates an OpenAI-compatible server URL where it is typed: a typo fails in the input box, not on the first question. */
export function checkEndpoint(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'Enter a URL such as http://localhost:8000/v1';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'The server must be reached over http or https';
  if (url.username || url.password) return 'Put no credentials in the URL';
  return undefined;
}
