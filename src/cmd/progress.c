#include "cmd/progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/http.h"
#include "util/log.h"
#include "util/clock.h"

void progress_init(struct progress *p, int quiet) {
  memset(p, 0, sizeof(*p));
  p->tty = isatty(STDERR_FILENO) && !quiet && getenv("TERM") && strcmp(getenv("TERM"), "dumb");
  p->quiet = quiet;
}

static void clear_line(struct progress *p) {
  if (p->line_shown) {
    fputs("\r\033[K", stderr);
    p->line_shown = 0;
  }
}

static void fmt_duration(double s, char *out, size_t n) {
  long t = (long)(s + 0.5);
  if (t >= 3600)
    snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

static void draw(struct progress *p, const struct sync_stats *s) {
  double elapsed = mono_now() - s->started;
  int64_t finished = s->days_done + s->days_failed + s->days_skipped;
  char eta[32] = "-", wait[96] = "";
  if (finished > 0 && finished < s->days_total)
    fmt_duration(elapsed / (double)finished * (double)(s->days_total - finished), eta, sizeof(eta));
  if (s->waiting >= 0.5 && s->waiting_for)
    snprintf(wait, sizeof(wait), " | waiting %.1fs for rate budget (%s)", s->waiting,
             s->waiting_for);
  fprintf(stderr, "\r\033[K%s | days %lld/%lld | %lld pages | %lld records | %.0f/s | ETA %s%s",
          p->current, (long long)finished, (long long)s->days_total, (long long)s->pages,
          (long long)s->records, elapsed > 0 ? (double)s->records / elapsed : 0.0, eta, wait);
  fflush(stderr);
  p->line_shown = 1;
}

/* Where an event happened: "DAY" for a day of orders, which every
 * connector has, "STREAM KEY" for the rest. */
static void where(const struct sync_event *ev, char *out, size_t n) {
  const char *key = ev->slice ? ev->slice->key : "";
  int order_day = ev->slice && ev->slice->kind == SLICE_DAY;
  if (ev->stream && (strcmp(ev->stream, "orders") != 0 || !order_day))
    snprintf(out, n, "%s%s%s", ev->stream, *key ? " " : "", key);
  else
    snprintf(out, n, "%s", key);
}

static void keep_failure(struct progress *p, const struct sync_event *ev, const char *what) {
  char line[768], day[96] = "";
  char **n = realloc(p->failures, (p->nfailures + 1) * sizeof(*n));
  if (!n)
    return;
  p->failures = n;
  where(ev, day, sizeof(day));
  snprintf(line, sizeof(line), "%s %s: %s%s", ev->source, day, what,
           ev->message ? ev->message : "");
  p->failures[p->nfailures] = strdup(line);
  if (p->failures[p->nfailures])
    p->nfailures++;
}

void progress_event(void *ctx, const struct sync_event *ev) {
  struct progress *p = ctx;
  char day[96] = "";
  where(ev, day, sizeof(day));
  switch (ev->kind) {
  case SYNC_EV_DAY_START:
    snprintf(p->current, sizeof(p->current), "%s %s", ev->source, day);
    if (!p->tty)
      log_debug("%s %s: started%s", ev->source, day, ev->slice->cursor ? " (resuming)" : "");
    break;
  case SYNC_EV_PAGE:
    log_debug("%s %s: page %lld stored (%lld new, %lld updated, %lld unchanged)", ev->source, day,
              (long long)ev->slice->pages, (long long)ev->counts->inserted,
              (long long)ev->counts->updated, (long long)ev->counts->unchanged);
    break;
  case SYNC_EV_DAY_DONE:
    if (!p->tty && !p->quiet)
      log_info("%s %s: completed, %lld pages, %lld records (%lld new, %lld updated)", ev->source,
               day, (long long)ev->slice->pages, (long long)ev->slice->records,
               (long long)ev->slice->inserted, (long long)ev->slice->updated);
    break;
  case SYNC_EV_DAY_FAILED:
    clear_line(p);
    log_error(0, "%s %s: day failed: %s", ev->source, day, ev->message ? ev->message : "");
    keep_failure(p, ev, "");
    break;
  case SYNC_EV_RETRY:
    if (!p->tty)
      log_info("%s%s%s: will retry: %s", ev->source, *day ? " " : "", day, ev->message);
    break;
  case SYNC_EV_RESTART:
    clear_line(p);
    log_warn("%s %s: the API rejected the saved cursor (%s); the day starts over", ev->source, day,
             ev->message);
    break;
  case SYNC_EV_BUSY:
    clear_line(p);
    log_warn("%s %s: skipped, another worker holds it (%s)", ev->source, day,
             ev->message ? ev->message : "");
    keep_failure(p, ev, "skipped, held by another worker ");
    break;
  case SYNC_EV_SOURCE_DEAD:
    clear_line(p);
    log_error(0, "%s: %s; its remaining days are skipped", ev->source, ev->message);
    break;
  case SYNC_EV_SOURCE_LOCKED:
    clear_line(p);
    log_error(0, "%s: %s; its remaining days are marked failed", ev->source, ev->message);
    keep_failure(p, ev, "");
    break;
  case SYNC_EV_STREAM_DEAD:
    clear_line(p);
    log_error(0, "%s %s: %s", ev->source, ev->stream, ev->message);
    break;
  case SYNC_EV_TICK:
    if (p->tty)
      draw(p, ev->stats);
    break;
  }
}

void progress_finish(struct progress *p) {
  clear_line(p);
}

void progress_print_failures(const struct progress *p) {
  if (!p->nfailures)
    return;
  fprintf(stderr, "days that did not complete (run 'marketsync sync --pending' to retry):\n");
  for (size_t i = 0; i < p->nfailures; i++)
    fprintf(stderr, "  %s\n", p->failures[i]);
}

void progress_release(struct progress *p) {
  for (size_t i = 0; i < p->nfailures; i++)
    free(p->failures[i]);
  free(p->failures);
  p->failures = NULL;
  p->nfailures = 0;
}
