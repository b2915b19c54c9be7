/* The sandbox's HTTP server: libmicrohttpd with a thread pool, on one
 * loopback address. */
#ifndef MS_SANDBOX_SERVER_H
#define MS_SANDBOX_SERVER_H

#include "sandbox/sandbox.h"
#include "util/err.h"

struct sb_server;

/* Starts serving sb on cfg.host:cfg.port (0: a free port) with cfg.threads
 * threads; sets sb->base_url. */
int sb_server_start(struct sandbox *sb, struct sb_server **out, struct err *err);
/* The port actually bound. */
int sb_server_port(const struct sb_server *srv);
/* Stops accepting, finishes or drops open connections, frees. */
void sb_server_stop(struct sb_server *srv);

#endif
