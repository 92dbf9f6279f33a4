import type { Delivery, DeliveryItem, DeliveryOutcome, Side } from '@cds/shared';
import type { LinkNeed } from '../links/needs.js';

// The delivery format and target errors are the contract with every receiver: they live in
// @cds/shared (delivery/), re-exported here for the connectors.
export {
  TargetError,
  httpTargetError,
  isRetryableStatus,
  isTargetError,
  parseRetryAfter,
  unansweredTargetError,
  type Delivery,
  type DeliveryItem,
  type DeliveryOutcome,
} from '@cds/shared';

/**
 * A canonical item as one target needs it (Canvas AGS scores, Discourse API calls, ...): each
 * connector keeps its own in its folder's `mapping.ts`, the one place that knows the target's shape.
 */
export interface OutboundMapping<T> {
  toTarget(item: DeliveryItem): T;
}

/** A system the relay writes to: Canvas, Discourse, or an outbound webhook. */
export interface Connector {
  /** Stable name used in queue names, deliveries and dead letters, e.g. `webhook-1`. */
  readonly name: string;
  /**
   * The side this connector writes to: it gets the applied events whose entity flows there and
   * that did not come from there. None for an observer (an outbound webhook): it gets every one.
   */
  readonly side?: Side;
  /** Canonical items to what this target needs. */
  readonly mapping: OutboundMapping<unknown>;
  /**
   * The course and user links an item needs here (DESIGN.md section 3b): the relay sends it with
   * them resolved (`item.links`), or holds it as `pending: ... not linked` until they exist.
   * @defaultValue none: every item goes as it is
   */
  needs?(item: DeliveryItem): LinkNeed[];
  /**
   * Sends a delivery; the target applies a delivery id once, however often it is sent. Resolves
   * with the events the target refused for good (each dead-lettered alone with its reason), or
   * nothing when it took them all. Throws a TargetError classified for retries
   * (test/connectors/conformance.ts holds every connector to it).
   */
  deliver(delivery: Delivery): Promise<DeliveryOutcome | void>;
}
