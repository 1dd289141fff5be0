"""Save callbacks built the way the ONLYOFFICE Document Server builds them (a helper of
scripts/bench and scripts/peak-memory; see reference/onlyoffice-protocol.md, section 1(b)).

    import ds_callback
    body, authorization, trimmed = ds_callback.build(secret, changes=150)

    python3 scripts/ds_callback.py SECRET_FILE CHANGES   prints the body, then on stderr
                                                         its size, whether it was trimmed
                                                         and the Authorization header

The DS (DocsCoServer.js sendServerRequest, utils.fillJwtForRequest) signs the callback object
twice with HS256, `exp = iat + 300`: the body token over the flat object, the header token
over `{"payload": object}`. When the header token is 7168 characters or longer
(canvasservice.js checkAndFixAuthorizationLength), it deletes `changesurl` and sets
`history` to `{}` in the object itself and signs the header token again; the body token,
signed before, keeps both. The posted body is the (trimmed) object with the body token as
its `token` member, which the DS's OutputSfcData puts after `notmodified` and before
`filetype` (JSON.stringify keeps the order in which the members were defined).
"""
import base64
import datetime
import hashlib
import hmac
import json
import sys
import time

TRIM_AT = 7168  # header token length at which the DS trims the callback
TTL = 300       # services.CoAuthoring.token.outbox.expires, "5m"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def dumps(value) -> str:
    """JSON as JSON.stringify writes it: no spaces, non-ASCII as UTF-8."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def jwt(claims: dict, secret: bytes) -> str:
    """An HS256 JWT, header {"alg":"HS256","typ":"JWT"} as node-jsonwebtoken writes it."""
    head = b64url(b'{"alg":"HS256","typ":"JWT"}')
    body = b64url(dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def callback_object(changes: int, key: str = "a1b2c3d4e5f6a7b8c9d0", now: int = None) -> dict:
    """A status-2 (must save) callback object with a history of CHANGES changes by four
    users, in the member order of the DS's OutputSfcData (filetype last: it is set after)."""
    now = int(time.time()) if now is None else now
    users = [(f"{n}@example.com", n.capitalize()) for n in ("alice", "bob", "carol", "dave")]
    start = datetime.datetime(2025, 1, 1, 9, 0, 0)
    history_changes = []
    for m in range(changes):
        uid, name = users[m % len(users)]
        created = (start + datetime.timedelta(seconds=7 * m)).strftime("%Y-%m-%d %H:%M:%S")
        history_changes.append({"created": created, "user": {"id": uid, "name": name}})
    expires = now + 900  # the storage link's own expiry (storage.fs.urlExpires)
    url = (f"https://office.example.com/cache/files/data/{key}_4711/output.docx/output.docx"
           f"?md5=Q2hhbmdlZEJ5VGhlQmVuY2g&expires={expires}&filename=output.docx")
    return {
        "key": key,
        "status": 2,
        "url": url,
        "changesurl": url.replace("output.docx", "changes.zip"),
        "history": {"serverVersion": "8.2.0", "changes": history_changes},
        "users": [users[0][0]],
        "actions": [{"type": 0, "userid": users[0][0]}],
        "lastsave": "2025-01-01T11:58:10.000Z",
        "notmodified": False,
        "filetype": "docx",
    }


def sign(obj: dict, secret: bytes, now: int = None):
    """(body text, Authorization header value, trimmed) for the callback object OBJ, as
    sendServerRequest posts it."""
    now = int(time.time()) if now is None else now
    times = {"iat": now, "exp": now + TTL}
    body_token = jwt(dict(obj, **times), secret)
    header_token = jwt(dict({"payload": obj}, **times), secret)
    trimmed = len(header_token) >= TRIM_AT
    if trimmed:
        obj = {k: ({} if k == "history" else v) for k, v in obj.items() if k != "changesurl"}
        header_token = jwt(dict({"payload": obj}, **times), secret)
    posted = {}
    for k, v in obj.items():
        if k == "filetype":
            posted["token"] = body_token
        posted[k] = v
    if "token" not in posted:
        posted["token"] = body_token
    return dumps(posted), "Bearer " + header_token, trimmed


def build(secret: bytes, changes: int, now: int = None):
    now = int(time.time()) if now is None else now
    return sign(callback_object(changes, now=now), secret, now)


def read_secret(path: str) -> bytes:
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(b"#"):
                return line
    sys.exit(f"no secret in {path}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    body, authorization, trimmed = build(read_secret(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.write(body)
    print(f"body {len(body.encode())} bytes, {'trimmed' if trimmed else 'not trimmed'}, "
          f"Authorization: {authorization}", file=sys.stderr)
