// The wall between Swift and libnghttp2 (Debian 12 ships 1.52). Swift includes only this header.
#ifndef CNGHTTP2_SHIM_H
#define CNGHTTP2_SHIM_H
#include <nghttp2/nghttp2.h>
#endif
