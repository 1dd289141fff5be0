#!/usr/bin/env python3
"""Public-key tokens and key sets for the t/ tests, made by PyJWT and cryptography (an
implementation independent of the module's), from keys that openssl generated.

    jwt_tool.py sign ALG KEY CLAIMS [HEADER]       a token (PyJWT)
    jwt_tool.py pss-salt ALG KEY CLAIMS SALT       PS* with a salt of SALT bytes
    jwt_tool.py der ALG KEY CLAIMS                 ES* with the DER signature, not R || S
    jwt_tool.py high-s ES256 KEY CLAIMS            ES256 with s replaced by n - s
    jwt_tool.py jwks KID=PUBLIC.pem[:ALG] ...      a JWK Set of the public keys
    jwt_tool.py hmac ALG SECRET CLAIMS [HEADER]    an HS* token (PyJWT)
    jwt_tool.py hmac-raw ALG SECRET CLAIMS_TEXT    an HS* token over the exact bytes of
                                                   CLAIMS_TEXT, header {"alg":ALG,"typ":"JWT"}
                                                   (hmac and hashlib)

CLAIMS and HEADER are JSON texts; KEY is a private key in PEM; SECRET is the HMAC secret
as it is written. CLAIMS_TEXT is signed as given, raw whitespace and all (PyJWT would
re-serialise it).
"""

import hashlib
import hmac
import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (decode_dss_signature,
                                                          encode_dss_signature)
from jwt.utils import base64url_encode

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
# the order of P-256's group (SEC 2, 2.4.2)
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def private_key(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def signing_input(alg, claims, header=None):
    head = {"alg": alg, "typ": "JWT"}
    head.update(header or {})
    return (base64url_encode(json.dumps(head, separators=(",", ":")).encode()) + b"."
            + base64url_encode(claims.encode()))


def ec_sign(key, alg, data):
    der = key.sign(data, ec.ECDSA(HASHES[alg[2:]]()))
    return der, decode_dss_signature(der)


def raw(r, s, key):
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def hmac_raw(alg, secret, claims):
    """An HS* token over the exact bytes of claims (the JOSE header written compactly)."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    head = json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode()
    data = base64url_encode(head) + b"." + base64url_encode(claims)
    sig = hmac.new(secret, data, digest).digest()
    return (data + b"." + base64url_encode(sig)).decode()


def main(argv):
    cmd = argv[1]
    if cmd == "hmac":
        alg, secret, claims = argv[2], argv[3], json.loads(argv[4])
        header = json.loads(argv[5]) if len(argv) > 5 else None
        return jwt.encode(claims, secret, algorithm=alg, headers=header)
    if cmd == "hmac-raw":
        # the bytes of the command line as given (os.fsencode undoes Python's decoding)
        return hmac_raw(argv[2], os.fsencode(argv[3]), os.fsencode(argv[4]))
    if cmd == "sign":
        alg, key, claims = argv[2], private_key(argv[3]), json.loads(argv[4])
        header = json.loads(argv[5]) if len(argv) > 5 else None
        return jwt.encode(claims, key, algorithm=alg, headers=header)
    if cmd == "pss-salt":
        alg, key, claims, salt = argv[2], private_key(argv[3]), argv[4], int(argv[5])
        data = signing_input(alg, claims)
        h = HASHES[alg[2:]]()
        sig = key.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=salt), h)
        return (data + b"." + base64url_encode(sig)).decode()
    if cmd in ("der", "high-s"):
        alg, key, claims = argv[2], private_key(argv[3]), argv[4]
        data = signing_input(alg, claims)
        der, (r, s) = ec_sign(key, alg, data)
        if cmd == "der":
            sig = der
        else:
            if key.curve.name != "secp256r1":
                raise SystemExit("high-s: P-256 keys only")
            s = P256_ORDER - s
            # still a valid ECDSA signature, which cryptography accepts
            key.public_key().verify(encode_dss_signature(r, s), data,
                                    ec.ECDSA(HASHES[alg[2:]]()))
            sig = raw(r, s, key)
        return (data + b"." + base64url_encode(sig)).decode()
    if cmd == "jwks":
        keys = []
        for spec in argv[2:]:
            kid, rest = spec.split("=", 1)
            path, _, alg = rest.partition(":")
            with open(path, "rb") as f:
                pub = serialization.load_pem_public_key(f.read())
            if isinstance(pub, rsa.RSAPublicKey):
                jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
            elif isinstance(pub, ec.EllipticCurvePublicKey):
                jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(pub))
            elif isinstance(pub, ed25519.Ed25519PublicKey):
                jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(pub))
            else:
                raise SystemExit("unsupported key " + path)
            jwk["kid"] = kid
            jwk["use"] = "sig"
            if alg:
                jwk["alg"] = alg
            keys.append(jwk)
        return json.dumps({"keys": keys})
    raise SystemExit(__doc__)


if __name__ == "__main__":
    print(main(sys.argv))
