/* The sandbox's request log: a bounded ring of API requests in memory,
 * optionally mirrored to a file as JSON lines. Not thread-safe; the sandbox
 * calls it under its lock. */
#ifndef MS_SANDBOX_REQLOG_H
#define MS_SANDBOX_REQLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"

#define SB_REQLOG_ENTRIES 1000000    /* entries kept */
#define SB_REQLOG_BYTES (256u << 20) /* text bytes kept */

struct sb_logent {
  uint64_t seq;     /* 1, 2, ... */
  uint64_t t_ms;    /* monotonic ms since the sandbox started */
  int status;       /* HTTP status answered, 0: no complete answer */
  int fault;        /* enum sb_fault_kind injected, 0: none */
  char method[8];   /* "GET" */
  char *text;       /* "shop\0path\0query\0", owned */
  size_t shop_len;  /* strlen of the shop part */
  size_t path_len;  /* strlen of the path part */
  size_t query_len; /* strlen of the query part */
};

struct sb_reqlog {
  struct sb_logent *ring; /* cap entries */
  size_t cap;             /* entries in ring */
  size_t head;            /* index of the oldest entry */
  size_t n;               /* entries in use */
  size_t bytes;           /* text bytes held */
  size_t max_bytes;       /* evict oldest beyond this */
  uint64_t next_seq;      /* seq of the next entry */
  FILE *mirror;           /* --log-requests file, or NULL; not owned */
};

int sb_reqlog_init(struct sb_reqlog *l, size_t entries, size_t max_bytes);
void sb_reqlog_release(struct sb_reqlog *l);
/* Records one request; returns its seq (0 when out of memory). */
uint64_t sb_reqlog_add(struct sb_reqlog *l, uint64_t t_ms, const char *shop, const char *method,
                       const char *path, const char *query, int status);
/* The same for a faulted request: fault is an enum sb_fault_kind, 0 none. */
uint64_t sb_reqlog_add_fault(struct sb_reqlog *l, uint64_t t_ms, const char *shop,
                             const char *method, const char *path, const char *query, int status,
                             int fault);
/* The entry with this seq, or NULL when evicted or not yet written. */
const struct sb_logent *sb_reqlog_get(const struct sb_reqlog *l, uint64_t seq);
/* The oldest seq still held (next_seq when empty). */
uint64_t sb_reqlog_first(const struct sb_reqlog *l);
/* Appends the entry as one JSON line, newline included. */
int sb_logent_json(const struct sb_logent *e, struct buf *out);

#endif
