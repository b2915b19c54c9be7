/* Who is who: /api/me for everyone; accounts, users and API tokens for
 * administrators. A token is shown once, when it is made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine/auth.h"
#include "util/clock.h"
#include "web/routes.h"

static int valid_name(const char *s) {
  if (!s || !*s || strlen(s) >= MS_NAME_MAX)
    return 0;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '_' || *p == '.'))
      return 0;
  return 1;
}

static cJSON *account_names(struct api_ctx *c, const int64_t *ids, size_t n) {
  cJSON *list = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    struct account_row a;
    struct err err = {0};
    if (c->st->ops->account_get_id(c->st, ids[i], &a, &err) == MS_OK)
      cJSON_AddItemToArray(list, cJSON_CreateString(a.name));
  }
  return list;
}

/* GET /api/me */
static void me(struct api_ctx *c) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)c->who.user_id);
  cJSON_AddStringToObject(o, "name", c->who.name);
  cJSON_AddBoolToObject(o, "admin", c->who.admin);
  cJSON_AddItemToObject(o, "accounts", account_names(c, c->who.accounts, (size_t)c->who.naccounts));
  reply(c, 200, o);
}

/* ---- accounts ---------------------------------------------------------------- */

static int add_account(void *ctx, const struct account_row *a) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)a->id);
  cJSON_AddStringToObject(o, "name", a->name);
  json_time(o, "created_at", a->created_at);
  cJSON_AddItemToArray(ctx, o);
  return MS_OK;
}

static void accounts_list(struct api_ctx *c) {
  cJSON *items = cJSON_CreateArray(), *o;
  struct err err = {0};
  if (c->st->ops->account_list(c->st, add_account, items, &err)) {
    cJSON_Delete(items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "accounts", items);
  reply(c, 200, o);
}

static void account_create(struct api_ctx *c) {
  struct account_row a;
  struct api_error e;
  struct err err = {0};
  const char *name;
  cJSON *items;
  if (api_body_string(c->rq, "name", MS_NAME_MAX - 1, 1, &name, &e)) {
    reply_error(c, &e);
    return;
  }
  if (!valid_name(name)) {
    reply_fail(c, 400, "invalid", "name", "a name is 1-63 letters, digits, '-', '_' or '.'");
    return;
  }
  memset(&a, 0, sizeof(a));
  snprintf(a.name, sizeof(a.name), "%s", name);
  a.created_at = wall_now();
  if (c->st->ops->account_add(c->st, &a, &err)) {
    reply_code(c, err.code ? err.code : MS_EEXIST, "name", &err);
    return;
  }
  items = cJSON_CreateArray();
  add_account(items, &a);
  reply(c, 201, cJSON_DetachItemFromArray(items, 0));
  cJSON_Delete(items);
}

static void account_delete(struct api_ctx *c) {
  struct err err = {0};
  int rc = c->st->ops->account_remove(c->st, c->arg[0], &err);
  if (rc)
    reply_code(c, rc, "account", &err);
  else
    c->res->status = 204;
}

/* ---- users ------------------------------------------------------------------- */

static cJSON *json_user(struct api_ctx *c, const struct user_row *u) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)u->id);
  cJSON_AddStringToObject(o, "name", u->name);
  cJSON_AddBoolToObject(o, "admin", u->admin);
  cJSON_AddBoolToObject(o, "has_password", u->password_hash && *u->password_hash);
  cJSON_AddItemToObject(o, "accounts", account_names(c, u->accounts, u->naccounts));
  json_time(o, "created_at", u->created_at);
  return o;
}

struct user_list {
  struct api_ctx *c;
  cJSON *items;
};

static int add_user(void *ctx, const struct user_row *u) {
  struct user_list *l = ctx;
  cJSON_AddItemToArray(l->items, json_user(l->c, u));
  return MS_OK;
}

static void users_list(struct api_ctx *c) {
  struct user_list l = {c, cJSON_CreateArray()};
  struct err err = {0};
  cJSON *o;
  if (c->st->ops->user_list(c->st, add_user, &l, &err)) {
    cJSON_Delete(l.items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "users", l.items);
  reply(c, 200, o);
}

/* The "accounts" member of the body as account ids; *given when present. */
static int body_accounts(struct api_ctx *c, int64_t **ids, size_t *n, int *given) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->rq->body, "accounts"), *e;
  *ids = NULL;
  *n = 0;
  *given = list != NULL;
  if (!list)
    return 0;
  if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > ACCOUNTS_MAX) {
    reply_fail(c, 400, "invalid", "accounts", "accounts takes a list of account names");
    return 1;
  }
  *ids = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(**ids));
  cJSON_ArrayForEach(e, list) {
    struct account_row a;
    struct err err = {0};
    if (!*ids || !cJSON_IsString(e) ||
        c->st->ops->account_get(c->st, e->valuestring, &a, &err) != MS_OK) {
      reply_fail(c, 400, "invalid", "accounts", "accounts names an account that does not exist");
      free(*ids);
      *ids = NULL;
      return 1;
    }
    (*ids)[(*n)++] = a.id;
  }
  return 0;
}

static int body_password(struct api_ctx *c, char hash[AUTH_HASH_SIZE], int *given) {
  const char *password;
  struct api_error e;
  struct err err = {0};
  *given = 0;
  if (api_body_string(c->rq, "password", AUTH_PASSWORD_MAX, 0, &password, &e)) {
    reply_error(c, &e);
    return 1;
  }
  if (!password)
    return 0;
  *given = 1;
  if (auth_password_hash(password, hash, &err)) {
    reply_fail(c, 400, "invalid", "password", "%s", err.msg);
    return 1;
  }
  return 0;
}

static void user_create(struct api_ctx *c) {
  struct user_row u;
  struct api_error e;
  struct err err = {0};
  char hash[AUTH_HASH_SIZE] = "";
  const char *name;
  int64_t *ids = NULL;
  size_t n = 0;
  int admin = 0, given, has_password;
  if (api_body_string(c->rq, "name", MS_NAME_MAX - 1, 1, &name, &e) ||
      api_body_bool(c->rq, "admin", 0, &admin, &e)) {
    reply_error(c, &e);
    return;
  }
  if (!valid_name(name)) {
    reply_fail(c, 400, "invalid", "name", "a name is 1-63 letters, digits, '-', '_' or '.'");
    return;
  }
  if (body_accounts(c, &ids, &n, &given) || body_password(c, hash, &has_password)) {
    free(ids);
    return;
  }
  memset(&u, 0, sizeof(u));
  snprintf(u.name, sizeof(u.name), "%s", name);
  u.admin = admin;
  u.password_hash = has_password ? hash : NULL;
  u.accounts = ids;
  u.naccounts = n;
  u.created_at = wall_now();
  if (c->st->ops->user_add(c->st, &u, &err)) {
    free(ids);
    reply_code(c, err.code ? err.code : MS_EEXIST, "name", &err);
    return;
  }
  reply(c, 201, json_user(c, &u));
  free(ids);
}

static int load_user(struct api_ctx *c, struct user_row *u) {
  struct err err = {0};
  int rc = c->st->ops->user_get(c->st, c->arg[0], u, &err);
  if (rc) {
    reply_code(c, rc, "user", &err);
    return 1;
  }
  return 0;
}

static void user_show(struct api_ctx *c) {
  struct user_row u;
  if (load_user(c, &u))
    return;
  reply(c, 200, json_user(c, &u));
  user_row_release(&u);
}

/* PATCH /api/users/:name {accounts, password} */
static void user_patch(struct api_ctx *c) {
  struct user_row u;
  struct err err = {0};
  char hash[AUTH_HASH_SIZE] = "";
  int64_t *ids = NULL;
  size_t n = 0;
  int accounts_given, password_given, rc = MS_OK;
  if (load_user(c, &u))
    return;
  if (cJSON_GetObjectItemCaseSensitive(c->rq->body, "name") ||
      cJSON_GetObjectItemCaseSensitive(c->rq->body, "admin")) {
    reply_fail(c, 400, "invalid",
               cJSON_GetObjectItemCaseSensitive(c->rq->body, "name") ? "name" : "admin",
               "a user keeps its name and role: make another user");
  } else if (!body_accounts(c, &ids, &n, &accounts_given) &&
             !body_password(c, hash, &password_given)) {
    if (accounts_given)
      rc = c->st->ops->user_set_accounts(c->st, u.id, ids, n, &err);
    if (!rc && password_given)
      rc = c->st->ops->user_set_password(c->st, u.id, hash, &err);
    if (rc) {
      reply_code(c, rc, "user", &err);
    } else {
      struct user_row now;
      if (c->st->ops->user_get_id(c->st, u.id, &now, &err) == MS_OK) {
        reply(c, 200, json_user(c, &now));
        user_row_release(&now);
      } else {
        reply_code(c, MS_EDB, NULL, &err);
      }
    }
  }
  free(ids);
  user_row_release(&u);
}

static void user_delete(struct api_ctx *c) {
  struct err err = {0};
  int rc;
  if (strcmp(c->arg[0], c->who.name) == 0) {
    reply_fail(c, 409, "busy", "user", "you cannot remove yourself");
    return;
  }
  rc = c->st->ops->user_remove(c->st, c->arg[0], &err);
  if (rc)
    reply_code(c, rc, "user", &err);
  else
    c->res->status = 204;
}

/* ---- tokens ------------------------------------------------------------------ */

static cJSON *json_token(const struct token_row *t) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "id", (double)t->id);
  cJSON_AddStringToObject(o, "user", t->user);
  cJSON_AddStringToObject(o, "label", t->label);
  cJSON_AddStringToObject(o, "prefix", t->prefix);
  json_time(o, "created_at", t->created_at);
  json_time(o, "last_used_at", t->last_used_at);
  json_time(o, "revoked_at", t->revoked_at);
  return o;
}

static int add_token(void *ctx, const struct token_row *t) {
  cJSON_AddItemToArray(ctx, json_token(t));
  return MS_OK;
}

static void tokens_list(struct api_ctx *c) {
  cJSON *items = cJSON_CreateArray(), *o;
  struct err err = {0};
  if (c->st->ops->token_list(c->st, 0, add_token, items, &err)) {
    cJSON_Delete(items);
    reply_code(c, MS_EDB, NULL, &err);
    return;
  }
  o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "tokens", items);
  reply(c, 200, o);
}

/* POST /api/tokens {user, label}: the token is in this answer and nowhere
 * else, ever. */
static void token_create(struct api_ctx *c) {
  struct api_error e;
  struct user_row u;
  struct token_row t;
  struct err err = {0};
  char token[AUTH_TOKEN_SIZE];
  const char *user, *label;
  cJSON *o;
  int rc;
  if (api_body_string(c->rq, "user", MS_NAME_MAX - 1, 1, &user, &e) ||
      api_body_string(c->rq, "label", TOKEN_LABEL_MAX - 1, 0, &label, &e)) {
    reply_error(c, &e);
    return;
  }
  rc = c->st->ops->user_get(c->st, user, &u, &err);
  if (rc) {
    reply_code(c, rc, "user", &err);
    return;
  }
  rc = auth_token_create(c->st, u.id, label, wall_now(), token, &t, &err);
  user_row_release(&u);
  if (rc) {
    reply_code(c, rc, "label", &err);
    return;
  }
  o = json_token(&t);
  cJSON_AddStringToObject(o, "token", token);
  sodium_memzero(token, sizeof(token));
  reply(c, 201, o);
}

static void token_delete(struct api_ctx *c) {
  struct err err = {0};
  char *end;
  long long id = strtoll(c->arg[0], &end, 10);
  int rc;
  if (*end || id < 1) {
    reply_fail(c, 404, "not_found", "token", "there is no token '%s'", c->arg[0]);
    return;
  }
  rc = c->st->ops->token_revoke(c->st, id, wall_now(), &err);
  if (rc)
    reply_code(c, rc, "token", &err);
  else
    c->res->status = 204;
}

const struct route routes_admin[] = {
    {"GET", "/api/me", me, 0},
    {"GET", "/api/accounts", accounts_list, ROUTE_ADMIN},
    {"POST", "/api/accounts", account_create, ROUTE_ADMIN},
    {"DELETE", "/api/accounts/:name", account_delete, ROUTE_ADMIN},
    {"GET", "/api/users", users_list, ROUTE_ADMIN},
    {"POST", "/api/users", user_create, ROUTE_ADMIN},
    {"GET", "/api/users/:name", user_show, ROUTE_ADMIN},
    {"PATCH", "/api/users/:name", user_patch, ROUTE_ADMIN},
    {"DELETE", "/api/users/:name", user_delete, ROUTE_ADMIN},
    {"GET", "/api/tokens", tokens_list, ROUTE_ADMIN},
    {"POST", "/api/tokens", token_create, ROUTE_ADMIN},
    {"DELETE", "/api/tokens/:id", token_delete, ROUTE_ADMIN},
    {NULL},
};
