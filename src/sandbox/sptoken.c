#include "sandbox/sptoken.h"

#include <sodium.h>
#include <string.h>

#include "sandbox/prng.h"
#include "util/err.h"

#define TAG_LEN 16   /* keyed BLAKE2b tag */
#define NONCE_LEN 16 /* random bytes of an access token */
#define ACCESS_VERSION 1
#define ACCESS_RAW (1 + 1 + 8 + NONCE_LEN + TAG_LEN)

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void sb_key_derive(uint64_t seed, uint64_t purpose, unsigned char key[SB_KEY_LEN]) {
  for (int i = 0; i < SB_KEY_LEN / 8; i++) {
    uint64_t v = sb_hash4(seed, 0x53502d4150490000ULL, purpose, (uint64_t)i);
    for (int k = 0; k < 8; k++)
      key[i * 8 + k] = (unsigned char)(v >> (8 * k));
  }
}

static void put64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* Base64 with the given alphabet; padding only for the standard one. */
static int b64_encode(const char *alpha, int pad, const unsigned char *raw, size_t n,
                      struct buf *out) {
  int rc = buf_reserve(out, n * 4 / 3 + 4);
  for (size_t i = 0; !rc && i < n; i += 3) {
    size_t k = n - i;
    uint32_t v = (uint32_t)raw[i] << 16;
    if (k > 1)
      v |= (uint32_t)raw[i + 1] << 8;
    if (k > 2)
      v |= raw[i + 2];
    char q[4] = {alpha[(v >> 18) & 63], alpha[(v >> 12) & 63], alpha[(v >> 6) & 63], alpha[v & 63]};
    if (k < 3 && pad) {
      q[3] = '=';
      if (k < 2)
        q[2] = '=';
      rc = buf_append(out, q, 4);
    } else {
      rc = buf_append(out, q, k > 2 ? 4 : k + 1);
    }
  }
  return rc;
}

/* Decodes at most cap bytes; padding is required for the standard alphabet
 * and refused for the URL one. */
static int b64_decode(const char *alpha, int pad, const char *text, size_t len, unsigned char *raw,
                      size_t cap, size_t *n) {
  uint32_t acc = 0;
  int bits = 0;
  size_t body = len;
  *n = 0;
  if (pad) {
    if (len == 0 || len % 4)
      return MS_EINVAL;
    while (body > len - 2 && text[body - 1] == '=')
      body--;
  }
  for (size_t i = 0; i < body; i++) {
    const char *p = text[i] ? strchr(alpha, text[i]) : NULL;
    if (!p)
      return MS_EINVAL;
    acc = (acc << 6) | (uint32_t)(p - alpha);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (*n == cap)
        return MS_EINVAL;
      raw[(*n)++] = (unsigned char)(acc >> bits);
    }
  }
  if ((!pad && body % 4 == 1) || (acc & ((1u << bits) - 1)))
    return MS_EINVAL; /* a dangling character, or bits that no encoder writes */
  return MS_OK;
}

static void tag_of(const unsigned char key[SB_KEY_LEN], const unsigned char *p, size_t n,
                   const char *extra, unsigned char tag[TAG_LEN]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, key, SB_KEY_LEN, TAG_LEN);
  crypto_generichash_update(&st, p, n);
  if (extra)
    crypto_generichash_update(&st, (const unsigned char *)extra, strlen(extra) + 1);
  crypto_generichash_final(&st, tag, TAG_LEN);
}

int sb_access_mint(const unsigned char key[SB_KEY_LEN], const struct sb_access *a,
                   const char *seller_name, char *out, size_t len) {
  unsigned char raw[ACCESS_RAW];
  struct buf b;
  int rc;
  raw[0] = ACCESS_VERSION;
  raw[1] = (unsigned char)a->seller;
  put64(raw + 2, (uint64_t)a->expires_ms);
  randombytes_buf(raw + 10, NONCE_LEN);
  tag_of(key, raw, ACCESS_RAW - TAG_LEN, seller_name, raw + ACCESS_RAW - TAG_LEN);
  buf_init(&b, 0);
  rc = buf_puts(&b, SB_ACCESS_PREFIX);
  if (!rc)
    rc = b64_encode(b64url, 0, raw, sizeof(raw), &b);
  if (!rc && b.len >= len)
    rc = MS_ETOOBIG;
  if (!rc)
    memcpy(out, b.data, b.len + 1);
  buf_release(&b);
  return rc;
}

static int access_raw(const char *token, unsigned char raw[ACCESS_RAW]) {
  size_t plen = sizeof(SB_ACCESS_PREFIX) - 1, n;
  size_t len = strnlen(token, SB_ACCESS_MAX + 1);
  if (len > SB_ACCESS_MAX || len <= plen || memcmp(token, SB_ACCESS_PREFIX, plen) != 0)
    return MS_EINVAL;
  if (b64_decode(b64url, 0, token + plen, len - plen, raw, ACCESS_RAW, &n) || n != ACCESS_RAW ||
      raw[0] != ACCESS_VERSION)
    return MS_EINVAL;
  return MS_OK;
}

int sb_access_peek(const char *token, struct sb_access *out) {
  unsigned char raw[ACCESS_RAW];
  if (access_raw(token, raw))
    return MS_EINVAL;
  out->seller = raw[1];
  out->expires_ms = (int64_t)get64(raw + 2);
  return MS_OK;
}

int sb_access_verify(const unsigned char key[SB_KEY_LEN], const char *token,
                     const char *seller_name) {
  unsigned char raw[ACCESS_RAW], tag[TAG_LEN];
  if (access_raw(token, raw))
    return MS_EINVAL;
  tag_of(key, raw, ACCESS_RAW - TAG_LEN, seller_name, tag);
  return sodium_memcmp(tag, raw + ACCESS_RAW - TAG_LEN, TAG_LEN) == 0 ? MS_OK : MS_EINVAL;
}

/* The record is XORed with a keystream drawn from (key, tag), so that the
 * token shows nothing of its contents and every character looks random. */
static void scramble(const unsigned char key[SB_KEY_LEN], const unsigned char tag[TAG_LEN],
                     unsigned char *p, size_t n) {
  unsigned char ks[SB_SEALED_MAX];
  crypto_generichash(ks, SB_SEALED_MAX, tag, TAG_LEN, key, SB_KEY_LEN);
  for (size_t i = 0; i < n; i++)
    p[i] ^= ks[i];
}

int sb_seal(const unsigned char key[SB_KEY_LEN], const unsigned char *rec, size_t n,
            struct buf *out) {
  unsigned char raw[SB_SEALED_MAX + TAG_LEN];
  if (n > SB_SEALED_MAX)
    return MS_ETOOBIG;
  memcpy(raw, rec, n);
  tag_of(key, rec, n, NULL, raw + n);
  scramble(key, raw + n, raw, n);
  return b64_encode(b64std, 1, raw, n + TAG_LEN, out);
}

int sb_unseal(const unsigned char key[SB_KEY_LEN], const char *text, unsigned char *rec, size_t cap,
              size_t *n) {
  unsigned char raw[SB_SEALED_MAX + TAG_LEN], tag[TAG_LEN];
  size_t len = strnlen(text, SB_NEXT_TOKEN_MAX + 1), got;
  if (len > SB_NEXT_TOKEN_MAX || b64_decode(b64std, 1, text, len, raw, sizeof(raw), &got) ||
      got <= TAG_LEN || got - TAG_LEN > cap)
    return MS_EINVAL;
  got -= TAG_LEN;
  scramble(key, raw + got, raw, got);
  tag_of(key, raw, got, NULL, tag);
  if (sodium_memcmp(tag, raw + got, TAG_LEN) != 0)
    return MS_EINVAL;
  memcpy(rec, raw, got);
  *n = got;
  return MS_OK;
}
