/** URL helpers shared by the servers. */

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const u = url ?? "/";
  const q = u.indexOf("?");
  return q === -1 ? u : u.slice(0, q);
}
