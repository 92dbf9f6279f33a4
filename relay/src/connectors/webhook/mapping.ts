import type { DeliveryItem, OutboundMapping } from '../connector.js';

/** An outbound webhook receives the canonical items as they are: the identity. */
export const webhookMapping: OutboundMapping<DeliveryItem> = {
  toTarget: (item) => item,
};
