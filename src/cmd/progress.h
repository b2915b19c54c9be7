/* What a person sees while a sync runs: a live status line on a terminal,
 * plain log lines otherwise, and the list of failed days at the end. */
#ifndef MS_CMD_PROGRESS_H
#define MS_CMD_PROGRESS_H

#include <stdio.h>

#include "engine/sync.h"

struct progress {
  int tty;           /* stderr is a terminal: redraw one line */
  int quiet;         /* --quiet: only failures */
  int line_shown;    /* a status line is on screen */
  char current[160]; /* last day started, "alpha 2026-11-03" */
  char **failures;   /* "alpha 2026-11-03: why", kept for the end */
  size_t nfailures;
};

void progress_init(struct progress *p, int quiet);
void progress_event(void *ctx, const struct sync_event *ev);
void progress_finish(struct progress *p);
void progress_print_failures(const struct progress *p);
void progress_release(struct progress *p);

#endif
