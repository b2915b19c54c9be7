#include "sandbox/reqlog.h"

#include <stdlib.h>
#include <string.h>

#include "sandbox/fault.h"
#include "util/err.h"

int sb_reqlog_init(struct sb_reqlog *l, size_t entries, size_t max_bytes) {
  memset(l, 0, sizeof(*l));
  /* calloc'd pages are only backed by memory once touched. */
  l->ring = calloc(entries, sizeof(*l->ring));
  if (!l->ring)
    return MS_ENOMEM;
  l->cap = entries;
  l->max_bytes = max_bytes;
  l->next_seq = 1;
  return MS_OK;
}

void sb_reqlog_release(struct sb_reqlog *l) {
  if (!l->ring)
    return;
  for (size_t i = 0; i < l->n; i++)
    free(l->ring[(l->head + i) % l->cap].text);
  free(l->ring);
  memset(l, 0, sizeof(*l));
}

static void evict_oldest(struct sb_reqlog *l) {
  struct sb_logent *e = &l->ring[l->head];
  l->bytes -= e->shop_len + e->path_len + e->query_len + 3;
  free(e->text);
  e->text = NULL;
  l->head = (l->head + 1) % l->cap;
  l->n--;
}

static struct sb_logent *add_entry(struct sb_reqlog *l, uint64_t t_ms, const char *shop,
                                   const char *method, const char *path, const char *query,
                                   int status) {
  size_t sl = strlen(shop), pl = strlen(path), ql = strlen(query), total = sl + pl + ql + 3;
  char *text = malloc(total);
  if (!text || !l->cap) {
    free(text);
    return NULL;
  }
  memcpy(text, shop, sl + 1);
  memcpy(text + sl + 1, path, pl + 1);
  memcpy(text + sl + pl + 2, query, ql + 1);
  while (l->n && (l->n == l->cap || l->bytes + total > l->max_bytes))
    evict_oldest(l);
  struct sb_logent *e = &l->ring[(l->head + l->n) % l->cap];
  e->seq = l->next_seq++;
  e->t_ms = t_ms;
  e->status = status;
  e->fault = 0;
  memset(e->method, 0, sizeof(e->method));
  memcpy(e->method, method, strnlen(method, sizeof(e->method) - 1));
  e->text = text;
  e->shop_len = sl;
  e->path_len = pl;
  e->query_len = ql;
  l->n++;
  l->bytes += total;
  return e;
}

uint64_t sb_reqlog_add(struct sb_reqlog *l, uint64_t t_ms, const char *shop, const char *method,
                       const char *path, const char *query, int status) {
  return sb_reqlog_add_fault(l, t_ms, shop, method, path, query, status, 0);
}

uint64_t sb_reqlog_add_fault(struct sb_reqlog *l, uint64_t t_ms, const char *shop,
                             const char *method, const char *path, const char *query, int status,
                             int fault) {
  struct sb_logent *c = add_entry(l, t_ms, shop, method, path, query, status);
  if (!c)
    return 0;
  c->fault = fault;
  if (l->mirror) {
    struct buf b;
    buf_init(&b, 0);
    if (!sb_logent_json(c, &b)) {
      fwrite(b.data, 1, b.len, l->mirror);
      fflush(l->mirror);
    }
    buf_release(&b);
  }
  return c->seq;
}

uint64_t sb_reqlog_first(const struct sb_reqlog *l) {
  return l->next_seq - l->n;
}

const struct sb_logent *sb_reqlog_get(const struct sb_reqlog *l, uint64_t seq) {
  uint64_t first = sb_reqlog_first(l);
  if (seq < first || seq >= l->next_seq)
    return NULL;
  return &l->ring[(l->head + (size_t)(seq - first)) % l->cap];
}

int sb_logent_json(const struct sb_logent *e, struct buf *out) {
  const char *shop = e->text, *path = shop + e->shop_len + 1, *query = path + e->path_len + 1;
  int rc = buf_printf(out, "{\"seq\":%llu,\"t_ms\":%llu,\"shop\":", (unsigned long long)e->seq,
                      (unsigned long long)e->t_ms);
  if (!rc)
    rc = buf_json_str(out, shop);
  if (!rc)
    rc = buf_puts(out, ",\"method\":");
  if (!rc)
    rc = buf_json_str(out, e->method);
  if (!rc)
    rc = buf_puts(out, ",\"path\":");
  if (!rc)
    rc = buf_json_str(out, path);
  if (!rc)
    rc = buf_puts(out, ",\"query\":");
  if (!rc)
    rc = buf_json_str(out, query);
  if (!rc)
    rc = buf_printf(out, ",\"status\":%d", e->status);
  if (!rc && e->fault)
    rc = buf_printf(out, ",\"fault\":\"%s\"", sb_fault_name(e->fault));
  if (!rc)
    rc = buf_puts(out, "}\n");
  return rc;
}
