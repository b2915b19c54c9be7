/* The refunds of an order, derived from its index entry (how many, when)
 * and its content (what was sold). Money is exact: a refunded order's
 * refunds add up to its total_price, a partially refunded one's to less. */
#include <string.h>

#include "sandbox/gen.h"
#include "sandbox/prng.h"

#define REFUND_ID_BASE 900000000000ULL /* refund ids: 12 digits */
#define SALT_REFUND_LINE 401           /* which line a partial refund returns */

/* Line i sold for (price x quantity - discount). */
static int64_t line_net(const struct sb_line *l) {
  return l->price * l->quantity - l->discount;
}

/* What the refund moves back to the customer. */
static int64_t refund_amount(const struct sb_refund *r, int taxes_included) {
  int64_t sum = r->shipping + r->discrepancy + (taxes_included ? 0 : r->shipping_tax);
  for (int i = 0; i < r->nlines; i++)
    sum += r->lines[i].subtotal + (taxes_included ? 0 : r->lines[i].tax);
  return sum;
}

static void refund_full(const struct sb_content *c, struct sb_refund *r) {
  r->kind = SB_REFUND_FULL;
  for (int i = 0; i < c->nlines; i++) {
    const struct sb_line *l = &c->lines[i];
    r->lines[r->nlines++] = (struct sb_refund_line){i, l->quantity, line_net(l), l->tax};
  }
  r->shipping = c->ship_price;
  r->shipping_tax = c->ship_tax;
}

/* One unit of line j, or half the total when that unit is the whole order. */
static void refund_partial(const struct sb_content *c, int j, struct sb_refund *r) {
  const struct sb_line *l = &c->lines[j];
  struct sb_refund_line one = {j, 1, line_net(l) / l->quantity, l->tax / l->quantity};
  r->kind = SB_REFUND_PARTIAL;
  r->lines[r->nlines++] = one;
  if (refund_amount(r, c->taxes_included) >= c->total) {
    r->kind = SB_REFUND_AMOUNT;
    r->nlines = 0;
    r->discrepancy = c->total / 2 > 0 ? c->total / 2 : c->total;
  }
}

/* Everything the partial refund `first` left. */
static void refund_rest(const struct sb_content *c, const struct sb_refund *first,
                        struct sb_refund *r) {
  if (first->kind == SB_REFUND_AMOUNT) {
    r->kind = SB_REFUND_AMOUNT;
    r->discrepancy = c->total - first->discrepancy;
    return;
  }
  r->kind = SB_REFUND_REMAINDER;
  for (int i = 0; i < c->nlines; i++) {
    const struct sb_line *l = &c->lines[i];
    struct sb_refund_line rl = {i, l->quantity, line_net(l), l->tax};
    if (i == first->lines[0].line) {
      rl.quantity -= first->lines[0].quantity;
      rl.subtotal -= first->lines[0].subtotal;
      rl.tax -= first->lines[0].tax;
    }
    if (rl.quantity > 0)
      r->lines[r->nlines++] = rl;
  }
  r->shipping = c->ship_price;
  r->shipping_tax = c->ship_tax;
}

int sb_order_refunds(const struct sb_shop *s, const struct sb_order *o, const struct sb_content *c,
                     struct sb_refund out[SB_MAX_REFUNDS]) {
  int n = o->nrefunds > SB_MAX_REFUNDS ? SB_MAX_REFUNDS : o->nrefunds;
  uint64_t seq = sb_order_seq(o->id);
  int cancel[SB_MAX_REFUNDS];
  /* A refund never changes once made, so what it says derives from when it
   * was made: the one made as the order was cancelled restocks as "cancel",
   * the others as returns. */
  for (int i = 0; i < n; i++) {
    memset(&out[i], 0, sizeof(out[i]));
    out[i].id = REFUND_ID_BASE + seq * SB_MAX_REFUNDS + (uint64_t)i;
    out[i].created_at = o->created_at + (int64_t)o->refund_after[i];
    cancel[i] = o->cancelled_at && out[i].created_at == o->cancelled_at;
    out[i].restock_type = cancel[i] ? "cancel" : "return";
  }
  if (n == 0)
    return 0;
  if (n == 1 && o->financial == SB_FIN_REFUNDED) {
    refund_full(c, &out[0]);
    out[0].note = cancel[0] ? "Order canceled" : "Refund of the whole order";
  } else {
    struct sb_rng r;
    sb_rng_seed(&r, sb_hash4(s->seed, (uint64_t)s->index, o->id, SALT_REFUND_LINE));
    refund_partial(c, (int)sb_rng_below(&r, (uint64_t)c->nlines), &out[0]);
    out[0].note =
        out[0].kind == SB_REFUND_AMOUNT ? "Goodwill refund" : "Customer returned one item";
    if (n == 2) {
      refund_rest(c, &out[0], &out[1]);
      out[1].note = cancel[1] ? "Order canceled" : "Refund of the rest of the order";
    }
  }
  for (int i = 0; i < n; i++)
    out[i].amount = refund_amount(&out[i], c->taxes_included);
  return n;
}

int64_t sb_order_net_paid(const struct sb_shop *s, const struct sb_order *o,
                          const struct sb_content *c) {
  struct sb_refund r[SB_MAX_REFUNDS];
  int64_t net;
  if (o->deleted || (o->financial != SB_FIN_PAID && o->financial != SB_FIN_PARTIALLY_REFUNDED &&
                     o->financial != SB_FIN_REFUNDED))
    return 0;
  net = c->total;
  for (int i = 0, n = sb_order_refunds(s, o, c, r); i < n; i++)
    net -= r[i].amount;
  return net;
}
