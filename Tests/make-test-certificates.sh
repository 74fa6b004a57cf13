#!/bin/sh
# Writes throw-away TLS test certificates into DIR (made if missing), with the openssl CLI.
# The one generator for every test: Tests/CashbackTestSupport/TestCertificates.swift and
# Tests/Interop/conftest.py both run it.
#
#   ca.pem ca.key                  the test CA
#   server.pem server.key          CN=localhost, SAN DNS:localhost IP:127.0.0.1, serial 0x1001
#   server-next.pem server-next.key  the same names, serial 0x1002, O=Cashback Next (for reloads)
#   client.pem client.key          a client certificate the test CA signed
#   other-ca.pem                   a second, unrelated CA
#   other-client.pem other-client.key  a client certificate the other CA signed
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # ca NAME SUBJECT
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
}

leaf() {  # leaf NAME CA SUBJECT SERIAL EXTENSIONS
    key "$1.key"
    openssl req -new -key "$1.key" -out "$1.csr" -subj "$3"
    printf '%b\n' "$5" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -set_serial "$4" -days 2 \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
}

server_ext='basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1'
client_ext='basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth'

ca ca "/CN=Cashback Test CA"
leaf server ca "/CN=localhost" 0x1001 "$server_ext"
leaf server-next ca "/O=Cashback Next/CN=localhost" 0x1002 "$server_ext"
leaf client ca "/CN=cashback-test-client" 0x2001 "$client_ext"
ca other-ca "/CN=Other Test CA"
leaf other-client other-ca "/CN=other-test-client" 0x3001 "$client_ext"
