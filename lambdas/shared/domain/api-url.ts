/**
 * A URL of this API for PayDunya to call back, under the API's public base and keeping its path (an execute-api
 * base URL ends in the stage, `/v1`, which a bare `new URL(path, base)` would drop).
 */
export const apiUrl = (
  publicBaseUrl: string,
  path: string,
  query: Readonly<Record<string, string>>,
): string => {
  const url = new URL(publicBaseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.toString();
};
