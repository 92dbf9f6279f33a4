// Stands in for Discourse's discourse/lib/ajax in the browser test: a same-origin JSON GET.
export async function ajax(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
