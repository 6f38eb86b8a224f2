// The demo's orders and payments: a small ledger with a few known problems planted, so `nightshift demo` can show
// the reconciliation finding exactly them. Amounts are in cents-exact decimals; times are relative to `now`.

export interface DemoLedger {
  orders: Record<string, string | number>[];
  payments: Record<string, string | number>[];
  /** Order ids of the planted problems, and of orders too recent to judge (they must not be reported). */
  planted: { mismatched: string[]; missingPayment: string[]; missingOrder: string[]; inFlight: string[] };
}

/** `count` orders placed over the last two days, each paid, except the planted problems. */
export function demoLedger(now: number, count = 200): DemoLedger {
  const id = (i: number) => `o_${String(100_000 + i)}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const planted: DemoLedger['planted'] = {
    mismatched: [id(17), id(58), id(131)],
    missingPayment: [id(42), id(99)],
    missingOrder: [id(count + 1)],
    inFlight: [id(count - 2), id(count - 1)],
  };
  const orders: DemoLedger['orders'] = [];
  const payments: DemoLedger['payments'] = [];
  for (let i = 0; i < count; i++) {
    const orderId = id(i);
    const inFlight = planted.inFlight.includes(orderId);
    const placed = inFlight ? now - (10 + (i % 20)) * 60_000 : now - 2 * 86_400_000 + i * 600_000;
    const total = Math.round((19.9 + ((i * 37) % 480) + (i % 7) * 0.15) * 100) / 100;
    orders.push({
      order_id: orderId,
      total_amount: total,
      created_at: iso(placed),
      status: 'PAID',
      department: i % 3 === 0 ? 'content' : 'market',
    });
    if (planted.missingPayment.includes(orderId) || inFlight) continue;
    const paid = planted.mismatched.includes(orderId) ? Math.round((total - 5) * 100) / 100 : total;
    payments.push({ order_id: orderId, paid_amount: paid, paid_at: iso(placed + 120_000), method: 'card' });
  }
  for (const orderId of planted.missingOrder) {
    payments.push({ order_id: orderId, paid_amount: 49.9, paid_at: iso(now - 86_400_000), method: 'card' });
  }
  return { orders, payments, planted };
}
