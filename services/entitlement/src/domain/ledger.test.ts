import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { includedConsumptionTax, jstDate, paymentEntry, receiptNumber, refundEntry, signedAmount } from './ledger.js';

describe('includedConsumptionTax (10 %, tax-inclusive, rounded down once per receipt)', () => {
  it('matches what Japanese receipts print', () => {
    expect(includedConsumptionTax(990)).toBe(90);
    expect(includedConsumptionTax(550)).toBe(50);
    expect(includedConsumptionTax(440)).toBe(40);
    expect(includedConsumptionTax(100)).toBe(9); // 9.09… → 9 (切り捨て)
    expect(includedConsumptionTax(109)).toBe(9); // 9.90… → 9, never rounded up
    expect(includedConsumptionTax(110)).toBe(10);
    expect(includedConsumptionTax(0)).toBe(0);
  });

  it('rounds per receipt, not per line: ¥550 + ¥440 on one receipt is ¥90, on two ¥50 + ¥40', () => {
    expect(includedConsumptionTax(550 + 440)).toBe(90);
    expect(includedConsumptionTax(105) + includedConsumptionTax(105)).toBe(18);
    expect(includedConsumptionTax(210)).toBe(19);
  });

  it('is the largest whole yen t with t × 11 ≤ amount, for every amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_000 }), (amount) => {
        const tax = includedConsumptionTax(amount);
        return tax * 11 <= amount && (tax + 1) * 11 > amount;
      }),
    );
  });

  it('refuses what is not a whole, non-negative amount of yen', () => {
    expect(() => includedConsumptionTax(-1)).toThrow(RangeError);
    expect(() => includedConsumptionTax(1.5)).toThrow(RangeError);
  });
});

describe('receipts', () => {
  const at = Date.UTC(2030, 0, 1, 16, 0); // 01:00 on 2 January in Japan
  it('numbers a payment by its Japanese date and provider id, the same on every delivery', () => {
    const number = receiptNumber('payment', 'pi_1', at);
    expect(number).toMatch(/^KN-20300102-[0-9A-Z]{10}$/);
    expect(receiptNumber('payment', 'pi_1', at)).toBe(number);
    expect(receiptNumber('payment', 'pi_2', at)).not.toBe(number);
    expect(receiptNumber('refund', 'pi_1', at)).not.toBe(number);
    expect(jstDate(at)).toBe('2030-01-02');
  });

  it('a refund is its own receipt, taxed on its own total, and marks the payment refunded', () => {
    const payment = paymentEntry({ line: 'rental', userId: 'u1', providerRef: 'pi_1', at, amountJpy: 550 });
    expect(payment).toMatchObject({ kind: 'payment', amountJpy: 550, taxJpy: 50, status: 'paid' });
    const { refund, payment: after } = refundEntry(payment, { providerRef: 'pi_1', at: at + 1000, amountJpy: 200 });
    expect(after).toMatchObject({ status: 'refunded', refundedAt: new Date(at + 1000).toISOString() });
    expect(refund).toMatchObject({ kind: 'refund', amountJpy: 200, taxJpy: 18, refundOf: payment.receiptNo });
    expect(signedAmount(refund)).toBe(-200);
    // A refund never gives back more than was paid.
    expect(refundEntry(payment, { providerRef: 'pi_1', at, amountJpy: 9999 }).refund.amountJpy).toBe(550);
  });
});
