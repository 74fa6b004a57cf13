// The wall between Swift and OpenSSL 3. Macros that Swift cannot import are wrapped here as
// static inline functions; Swift includes only this header.
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

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

/// `SSL_CTX_set_mode` is a macro over `SSL_CTX_ctrl`; returns the new mode bitmask.
static inline long cashback_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}

/// `SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER`: `SSL_write` may
/// return after some records, and a retry may pass the rest from another address.
static inline long cashback_SSL_MODE_PARTIAL_MOVING_WRITES(void) {
    return SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER;
}

/// `SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE`:
/// `SSL_OP_BIT` expressions Swift cannot import.
static inline uint64_t cashback_SSL_OP_HARDENED(void) {
    return SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;
}

/// `SSL_OP_NO_TICKET`: no TLS 1.2 session tickets, issued or taken.
static inline uint64_t cashback_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }

/// `SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF)`, a macro over `SSL_CTX_ctrl`:
/// no server-side session cache. Returns the previous mode.
static inline long cashback_SSL_CTX_set_session_cache_off(SSL_CTX *ctx) {
    return SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

/// `SSL_set_tlsext_host_name` (SNI) is a macro over `SSL_ctrl`; returns 1 on success.
static inline int cashback_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// `BIO_set_mem_eof_return` is a macro over `BIO_ctrl`.
static inline void cashback_BIO_set_mem_eof_return(BIO *bio, int value) {
    (void)BIO_set_mem_eof_return(bio, value);
}

/// `SSL_AD_NO_APPLICATION_PROTOCOL` (alert 120, RFC 7301 §3.2) through its alias chain.
static inline int cashback_SSL_AD_NO_APPLICATION_PROTOCOL(void) {
    return SSL_AD_NO_APPLICATION_PROTOCOL;
}

/// `SSL_FILETYPE_PEM` is an alias of `X509_FILETYPE_PEM`.
static inline int cashback_SSL_FILETYPE_PEM(void) { return SSL_FILETYPE_PEM; }
#endif
