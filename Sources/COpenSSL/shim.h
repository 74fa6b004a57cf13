// The wall between Swift and OpenSSL 3. Macros that Swift cannot import are wrapped here as
// static inline functions; Swift includes only this header.
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/// `SSL_CTX_set_min_proto_version` is a macro over `SSL_CTX_ctrl`.
static inline int cashback_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

/// `SSL_CTX_set_max_proto_version` is a macro over `SSL_CTX_ctrl`.
static inline int cashback_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

/// `TLS1_2_VERSION` as a value Swift can read.
static inline int cashback_TLS1_2_VERSION(void) { return TLS1_2_VERSION; }
#endif
