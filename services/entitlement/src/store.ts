import type { Table } from '../../../shared/ports/table.js';
import { Rental, Subscription } from './domain/account.js';

/**
 * The entitlement service's records on its own table:
 *   user#<userId> / subscription            the viewer's plan
 *   user#<userId> / rental#<purchasedAt>#<rentalId>
 */
export function entitlementStore(table: Table) {
  return {
    async account(userId: string): Promise<{ subscription: Subscription | undefined; rentals: Rental[] }> {
      let subscription: Subscription | undefined;
      const rentals: Rental[] = [];
      let cursor: string | undefined;
      do {
        const page = await table.query({ partition: `user#${userId}`, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const item of page.items) {
          if (item.sk === 'subscription') subscription = Subscription.parse(item);
          else if (item.sk.startsWith('rental#')) rentals.push(Rental.parse(item));
        }
        cursor = page.cursor;
      } while (cursor);
      return { subscription, rentals };
    },
  };
}
