/* Tokens the emulated Amazon hands out: Login with Amazon access tokens and
 * the SP-API's opaque NextTokens. Neither is stored: each carries its data
 * and a keyed BLAKE2b tag, so any forged or altered token is refused, and a
 * sandbox restarted with the same seed still accepts them. */
#ifndef MS_SANDBOX_SPTOKEN_H
#define MS_SANDBOX_SPTOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SB_KEY_LEN 32 /* bytes of a key */
#define SB_ACCESS_PREFIX "Atza|"
#define SB_ACCESS_MAX 128     /* characters of an access token we read */
#define SB_SEALED_MAX 64      /* bytes of a sealed record */
#define SB_NEXT_TOKEN_MAX 512 /* characters of a NextToken we read */

/* Derives a key from the sandbox seed; `purpose` keeps keys apart. */
void sb_key_derive(uint64_t seed, uint64_t purpose, unsigned char key[SB_KEY_LEN]);

struct sb_access {
  int seller;         /* index of the seller the token was issued to */
  int64_t expires_ms; /* Unix milliseconds after which it is expired */
};

/* "Atza|" + base64url(version, seller, expiry, 16 random bytes, tag); the
 * tag also covers the seller's name. out needs SB_ACCESS_MAX bytes. */
int sb_access_mint(const unsigned char key[SB_KEY_LEN], const struct sb_access *a,
                   const char *seller_name, char *out, size_t len);
/* Reads the token's seller and expiry without checking the tag; MS_EINVAL
 * when it does not have the shape of one of our tokens. */
int sb_access_peek(const char *token, struct sb_access *out);
/* MS_OK when the token was minted with this key for this seller's name. */
int sb_access_verify(const unsigned char key[SB_KEY_LEN], const char *token,
                     const char *seller_name);

/* Appends standard base64 (with '+', '/' and '=' padding, as Amazon's
 * NextTokens have) of the record, scrambled and tagged. n <= SB_SEALED_MAX. */
int sb_seal(const unsigned char key[SB_KEY_LEN], const unsigned char *rec, size_t n,
            struct buf *out);
/* Reverses sb_seal; MS_EINVAL for anything it did not produce with this key. */
int sb_unseal(const unsigned char key[SB_KEY_LEN], const char *text, unsigned char *rec, size_t cap,
              size_t *n);

#endif
