// One delivery try: a POST with a timeout whose answer body is read and dropped (so the
// connection is freed); the status, or the error when there was no answer at all.
export type PostOutcome = { status: number } | { error: string };

export async function postOnce(
  url: string | URL,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<PostOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
