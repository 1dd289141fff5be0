#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus-seeds/<target>/.

The seeds are the shapes of real traffic (protocol reference, section 3): the Document
Server's save callbacks (status 1, 2, 4, 6, and the size-trimmed header token), its command
and conversion requests, seahub's conversion request, a docbuilder script, a download, and
a plain bearer token; for json_check, those texts and the edges of strict JSON. Tokens are
signed with the targets' own secrets so that the fuzzer starts behind the signature check.
Run it again after changing a target's secrets or input format; stdlib only.
"""

import base64
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus-seeds")

VERIFY_SECRET = b"fuzz-secret-a-0123456789abcdefghijkl"  # fuzz_targets/verify.rs SECRET_A
IAT = 1735732800
EXP = IAT + 300
FAR = 4102444800

KEY = "a1b2c3d4e5f6a7b8c9d0"
DS = "https://office.example.com/cache/files/data/a1b2c3d4e5f6a7b8c9d0_4711"
USER = "alice@example.com"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def jwt(claims, secret, alg="HS256", header=None):
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    head = header if header is not None else dumps({"alg": alg, "typ": "JWT"})
    body = claims if isinstance(claims, str) else dumps(claims)
    signing_input = f"{b64(head.encode())}.{b64(body.encode())}"
    sig = hmac.new(secret, signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(sig)}"


def history():
    return {
        "serverVersion": "8.2.0",
        "changes": [
            {"created": "2025-01-01 11:58:10", "user": {"id": USER, "name": "alice"}},
        ],
    }


CALLBACKS = {
    "status1": {
        "key": KEY, "status": 1, "users": [USER],
        "actions": [{"type": 1, "userid": USER}],
    },
    "status2": {
        "key": KEY, "status": 2,
        "url": f"{DS}/output.docx/output.docx?md5=abc&expires=1735733700&filename=output.docx",
        "changesurl": f"{DS}/changes.zip/changes.zip?md5=def&expires=1735733700&filename=changes.zip",
        "history": history(), "users": [USER],
        "actions": [{"type": 0, "userid": USER}],
        "lastsave": "2025-01-01T11:58:10.000Z", "notmodified": False, "filetype": "docx",
    },
    "status4": {"key": KEY, "status": 4, "actions": [{"type": 0, "userid": USER}]},
    "status6": {
        "key": KEY, "status": 6,
        "url": f"{DS}/output.docx/output.docx?md5=abc&expires=1735733700&filename=output.docx",
        "changesurl": f"{DS}/changes.zip/changes.zip?md5=def&expires=1735733700&filename=changes.zip",
        "history": history(), "users": [USER],
        "actions": [{"type": 2, "userid": USER}],
        "lastsave": "2025-01-01T11:58:10.000Z", "notmodified": False, "filetype": "docx",
        "forcesavetype": 1,
    },
    "docs-status4": {"key": "Khirz6zTPdfd7", "status": 4},
}

TRIMMED = dict(CALLBACKS["status2"])
del TRIMMED["changesurl"]
TRIMMED["history"] = {}

SEAHUB_CONVERT = {
    "url": "https://seafile.example.com/seafhttp/files/0b1c/report.doc",
    "outputtype": "docx", "filetype": "doc", "title": "report.doc",
    "key": "e3b0c44298fc1c149afb", "async": False,
}

COMMANDS = [
    {"c": "info", "key": "Khirz6zTPdfd7"},
    {"c": "forcesave", "key": "Khirz6zTPdfd7", "userdata": "sample userdata"},
    {"c": "drop", "key": "Khirz6zTPdfd7", "users": ["6d5a81d0"]},
    {"c": "version"},
]


def write(target, name, data):
    directory = os.path.join(OUT, target)
    os.makedirs(directory, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def verify_seeds():
    s = VERIFY_SECRET
    for name, fields in CALLBACKS.items():
        flat = dict(fields, iat=IAT, exp=EXP)
        write("verify", f"callback-{name}-body-token", jwt(flat, s))
        write("verify", f"callback-{name}-header-token",
              jwt({"payload": fields, "iat": IAT, "exp": EXP}, s))
        write("verify", f"claims-callback-{name}", dumps(flat))
    write("verify", "callback-trimmed-header-token",
          jwt({"payload": TRIMMED, "iat": IAT, "exp": EXP}, s))
    write("verify", "claims-trimmed", dumps({"payload": TRIMMED, "iat": IAT, "exp": EXP}))
    write("verify", "seahub-convert-token", jwt(SEAHUB_CONVERT, s))
    write("verify", "claims-seahub-convert", dumps(SEAHUB_CONVERT))
    for i, cmd in enumerate(COMMANDS):
        write("verify", f"command-{i}-token", jwt(cmd, s))
        write("verify", f"command-{i}-header-token", jwt({"payload": cmd}, s))
    write("verify", "bearer-hs384", jwt({"sub": "alice", "exp": FAR}, s, "HS384"))
    write("verify", "bearer-hs512", jwt({"sub": "alice", "exp": FAR, "nbf": IAT}, s, "HS512"))
    write("verify", "bearer-kid", jwt({"sub": "alice"}, s,
                                      header='{"typ":"JWT","alg":"HS256","kid":"k1"}'))
    # beyond the 16 KiB the verifier once refused: nothing is refused for its length
    long_claims = dumps({"sub": "alice", "exp": FAR, "pad": "x" * 12500})
    write("verify", "bearer-beyond-16k", jwt(long_claims, s))
    write("verify", "claims-beyond-16k", long_claims)
    write("verify", "claims-times", '{"exp":1735733100.5,"nbf":-0,"iat":1e3,"sub":"\\u00e9"}')
    write("verify", "header-crit", '{"alg":"HS256","crit":["exp"]}')
    write("verify", "header-none", '{"alg":"none"}')
    write("verify", "header-kid", '{"typ":"JWT","alg":"HS512","kid":"../../dev/null"}')
    # the protocol reference's exact status-4 tokens (another secret)
    write("verify", "reference-status4-body-token",
          "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJhMWIyYzNkNGU1ZjZhN2I4YzlkMCIsInN0YXR1cyI6NCwiYWN0aW9ucyI6W3sidHlwZSI6MCwidXNlcmlkIjoiYWxpY2VAZXhhbXBsZS5jb20ifV0sImlhdCI6MTczNTczMjgwMCwiZXhwIjoxNzM1NzMzMTAwfQ.kWZDv3WFbMXMF0HehQt0Hbyd20dnt6CA-9sgPPL4vQw")


def body_token_seeds():
    # body \0 args \0 header \0 uri \0 second header; $T good, $B builder, $F forged,
    # $E expired, $N none
    def seed(body="", args=None, header=None, uri=None, header2=None):
        parts = [body]
        for extra in (args, header, uri, header2):
            if extra is None:
                break
            parts.append(extra)
        return "\0".join(parts)

    for name, fields in CALLBACKS.items():
        body = dumps(dict(fields, token="$T"))
        write("body_token", f"callback-{name}", seed(body, "", "Bearer $T"))
    write("body_token", "callback-fitting",
          seed(dumps({"key": "Khirz6zTPdfd7", "status": 2, "url": "http://ds/a.docx",
                      "token": "$T"}), "", "Bearer $T"))
    write("body_token", "callback-trimmed",
          seed(dumps(dict(TRIMMED, token="$T")), "", "Bearer $T"))
    write("body_token", "callback-forged-header",
          seed(dumps({"key": "Khirz6zTPdfd7", "status": 2, "token": "$T"}), "", "Bearer $F"))
    for i, cmd in enumerate(COMMANDS):
        write("body_token", f"command-{i}-body", seed(dumps(dict(cmd, token="$T"))))
        write("body_token", f"command-{i}-header", seed(dumps(cmd), "", "Bearer $T"))
    write("body_token", "seahub-convert",
          seed(dumps(dict(SEAHUB_CONVERT, token="$T")), "", "Bearer $T"))
    write("body_token", "convert-query",
          seed("", "filetype=docx&outputtype=pdf&url=http%3A%2F%2Fds%2Fa.docx&token=$T"))
    write("body_token", "convert-form",
          seed("filetype=docx&outputtype=pdf&url=http://ds/a.docx", "token=$T&x=1"))
    write("body_token", "docbuilder-script",
          seed('builder.CreateFile("docx");\nbuilder.SaveFile("docx", "a.docx");\nbuilder.CloseFile();',
               "", "Bearer $T"))
    write("body_token", "docbuilder-json",
          seed(dumps({"async": False, "url": "https://x/script.docbuilder", "token": "$T"})))
    write("body_token", "docbuilder-json-builder-token",
          seed(dumps({"async": False, "url": "https://x/script.docbuilder", "token": "$B"}),
               "", "Bearer $B"))
    write("body_token", "download", seed("", "x=1", "Bearer $T", "/dl/f.docx?x=1"))
    write("body_token", "download-encoded",
          seed("", "", "bearer  $T ", "http://h/dl/f%2Edocx?x=%31#frag"))
    write("body_token", "bearer-expired", seed("", "", "Bearer $E"))
    write("body_token", "bearer-none", seed("", "", "BEARER\t$N"))
    write("body_token", "two-headers", seed("", "", "Bearer $T", "/", "Bearer $T"))
    write("body_token", "token-types", seed('{"token":0,"a":[1,2.5,-0,1e300,null,true]}', "token=$T"))
    write("body_token", "duplicate-token", seed('{"token":"$T","tok\\u0065n":"$F"}'))


def callback_seeds():
    for name, fields in CALLBACKS.items():
        write("callback_compare", f"callback-{name}", dumps(fields))
    write("callback_compare", "callback-trimmed", dumps(TRIMMED))
    write("callback_compare", "callback-unicode",
          dumps({"key": KEY, "status": 2, "url": "https://ds/\u00e9\u2019.docx",
                 "users": ["\u00e9l\u00e8ve@example.com"], "history": {"changes": []}}))
    write("callback_compare", "callback-numbers",
          '{"key":"k","status":2.0,"n":[0,-0,1e2,18446744073709551615,-9223372036854775808]}')


def json_check_seeds():
    # callbacks, as callback_compare gets them
    for name, fields in CALLBACKS.items():
        write("json_check", f"callback-{name}", dumps(fields))
    write("json_check", "callback-trimmed", dumps(TRIMMED))
    write("json_check", "callback-unicode",
          dumps({"key": KEY, "status": 2, "url": "https://ds/\u00e9\u2019.docx",
                 "users": ["\u00e9l\u00e8ve@example.com"], "history": {"changes": []}}))
    write("json_check", "callback-numbers",
          '{"key":"k","status":2.0,"n":[0,-0,1e2,18446744073709551615,-9223372036854775808]}')
    # body \n claims: a callback body next to its token's claims (same_value)
    write("json_check", "callback-known-values",
          '{"key":"k","status":2,"n":12,"h":{"a":[1,{"b":null}]},"s":"x"}\n'
          '{"payload":{"key":"k","status":2,"n":123,"h":{"a":[1,{"b":null}]}},"s":"x","exp":9}')
    shared = {
        "key": "a1b2", "status": 2,
        "url": "https://ds.example.com/cache/files/a1b2/output.docx?md5=x&expires=9",
        "history": {"serverVersion": "8.2.0", "changes": [
            {"created": "2025-01-01 11:00:10", "user": {"id": "u1", "name": "n 1"}}]},
        "users": ["alice"], "actions": [{"type": 0, "userid": "alice"}],
        "notmodified": False, "filetype": "docx",
    }
    body = dumps(dict(shared, token="e30.e30.sig"))
    write("json_check", "callback-shared-payload",
          body + "\n" + dumps({"payload": shared, "iat": 1735732900, "exp": 1735733200}))
    write("json_check", "callback-shared-start",
          body + "\n" + dumps(dict(shared, iat=1735732900, exp=1735733200)))
    write("json_check", "callback-spaced-values",
          '{"key":"k","status":2,"users":["a","b"],"history":{"a":1,"b":2}}\n'
          '{"key":"\\u006b","status":2.0,"users":[ "a" , "b" ],"history":{"b":2,"a":1}}')
    # token headers and claims, what check is asked for before a token verifies
    write("json_check", "header-typ", '{"alg":"HS256","typ":"JWT"}')
    write("json_check", "header-crit", '{"alg":"HS256","crit":["exp"]}')
    write("json_check", "header-escaped-alg", '{"\\u0061lg":"HS\\u0032\\u00356","kid":"k1"}')
    write("json_check", "claims-times",
          '{"exp":1735733100.5,"nbf":-0,"iat":1e3,"sub":"\\u00e9","payload":{"exp":1}}')
    write("json_check", "body-token", '{"token":"a.b.c","c":"info","key":"Khirz6zTPdfd7"}')
    write("json_check", "escapes", '{"a":"\\ud83d\\ude00","b":[1e-5,-0,{"c":null}],"\\u0064":true}')
    # refusals: duplicates (escaped, nested, before a syntax error), syntax, depth
    write("json_check", "duplicate-escaped", '{"alg":"HS256","\\u0061lg":"none"}')
    write("json_check", "duplicate-nested", '{"a":[{"b":1},{"c":{"d":1,"d":1}}],"e":2}')
    write("json_check", "duplicate-then-syntax", '{"a":1,"a":2,}')
    write("json_check", "duplicate-large-object",
          "{" + ",".join(f'"m{i}":{i}' for i in range(20)) + ',"m7":0}')
    write("json_check", "lone-surrogate", '{"a":"\\ud800"}')
    write("json_check", "number-out-of-range", '{"exp":1e400}')
    write("json_check", "depth-127", "[" * 126 + '{"a":1}' + "]" * 126)
    write("json_check", "depth-128", "[" * 127 + '{"a":1}' + "]" * 127)
    # base64url: a header segment, and HS256 and HS512 signature segments
    write("json_check", "base64-header", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")
    write("json_check", "base64-hs256-signature", b64(bytes(range(32))))
    write("json_check", "base64-hs512-signature", b64(bytes(range(64))))


if __name__ == "__main__":
    verify_seeds()
    body_token_seeds()
    callback_seeds()
    json_check_seeds()
