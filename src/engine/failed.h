/* Records that could not be stored, tried again: each is read again from
 * the bytes kept for it, by its stream's description, and stored like any
 * page's record, or counted as failing once more. */
#ifndef MS_ENGINE_FAILED_H
#define MS_ENGINE_FAILED_H

#include "store/store.h"

#define FAILED_RETRY_MAX 100000 /* failed records one retry takes on */

struct failed_report {
  int64_t stored;  /* read and stored now */
  int64_t failing; /* still refused; their attempts counted */
  int64_t skipped; /* their source could not be opened (its reason is logged) */
};

/* Retries the open failed records with these ids (n of them), or every
 * open one when n is 0. An id that is not open is skipped (an id given
 * twice is retried once). Returns MS_OK, or the code of a failure that is
 * not the records' own (the database); what happened to each record is in
 * rep and logged. */
int failed_retry(struct store *st, const int64_t *ids, size_t n, struct failed_report *rep,
                 struct err *err);

#endif
