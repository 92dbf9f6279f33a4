import { flowsFor, type EntityPolicy, type Side, type Source } from '@cds/shared';

/** What routing needs to know of a connector. */
export interface RouteTarget {
  readonly name: string;
  readonly side?: Side;
}

/**
 * The targets an applied event goes to (DESIGN.md section 5b): the connectors of the sides its
 * entity flows to, never the side it came from, and every observer (a connector with no side).
 */
export function targetsFor(
  policy: Pick<EntityPolicy, 'flows'>,
  source: Source,
  targets: readonly RouteTarget[],
): string[] {
  const sides = flowsFor(policy, source);
  return targets.filter((t) => t.side === undefined || sides.includes(t.side)).map((t) => t.name);
}
