/**
 * Node flags every relay process runs with (`pnpm start`, the bench, the docker image).
 *
 * V8 grows a busy process's heap lazily, far past what it holds: a worker draining 100k events had
 * 186 MB of heap in use (mostly garbage not yet collected) and peaked at 343-403 MB RSS. A cap on the
 * old generation makes V8 collect sooner; the relay holds little (a request body is at most
 * MAX_BODY_BYTES, a job at most 1,000 events), so 256 MB leaves it wide room. Measured with
 * `pnpm bench memory` (100k backlog, web + 1 worker): SQLite web 285 -> 192 MB, worker 343 -> 227 MB;
 * PostgreSQL 261 -> 174 MB, 310 -> 196 MB; throughput and drain time unchanged within noise.
 * A deployment that needs more passes its own `--max-old-space-size` after these.
 */
export const RELAY_NODE_FLAGS: readonly string[] = ['--max-old-space-size=256'];
