"""Helpers for the moto end-to-end scripts (tests/e2e/moto.sh, scripts/demo).

Runs inside the e2e venv (boto3, botocore and moto installed). Subcommands:

  free-port                        print a free TCP port on 127.0.0.1
  setup-user ENDPOINT NAME [PREFIX [iam]]
                                   create an IAM user allowed sts:* (and with `iam`, its own
                                   access-key calls), an access key and an enabled virtual
                                   MFA device; print shell assignments PREFIX_… (default E2E)
  access-keys ENDPOINT USER        the user's access key ids in IAM, one per line, sorted
  count ENDPOINT ACTION            how many requests for ACTION moto's recorder holds
  signer ENDPOINT ACTION           "KEYID TOKEN" of the last recorded ACTION request
  params ENDPOINT ACTION           the last recorded ACTION request's parameters, as JSON
  shape FILE                       the JSON document's key paths and JSON types, sorted
  raw-error ENDPOINT KEY SECRET    sign GetSessionToken with KEY/SECRET, print STATUS then body
  error-shape FILE                 "errors" (<ErrorResponse><Errors><Error>) or "error"
                                   (<ErrorResponse><Error>) for the error body in FILE
  reshape FILE                     the error body in FILE rewritten into the other shape
  serve PORTFILE BODYFILE          HTTP server on 127.0.0.1 answering every request with
                                   HTTP 403 and the bytes of BODYFILE (re-read per request)
  expire-in DIR PROFILE SECONDS    age awscred's cache entry for PROFILE in DIR: one-hour
                                   credentials that expire SECONDS from now (rewritten in place)
  boto3-calls PROFILE ENDPOINT N   N GetCallerIdentity calls with one boto3 session of
                                   PROFILE; print the credentials' account_id
"""

import base64
import http.server
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])


def setup_user(endpoint, name, prefix="E2E", iam_calls=""):
    import boto3

    # Auth checks are still off: any key signs these calls.
    kw = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam = boto3.client("iam", **kw)
    user = iam.create_user(UserName=name)["User"]
    statements = [{"Effect": "Allow", "Action": "sts:*", "Resource": "*"}]
    if iam_calls == "iam":
        statements.append({
            "Effect": "Allow",
            "Action": ["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:DeleteAccessKey"],
            "Resource": "*",
        })
    policy = {"Version": "2012-10-17", "Statement": statements}
    iam.put_user_policy(
        UserName=name, PolicyName="allow-sts", PolicyDocument=json.dumps(policy)
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)[
        "VirtualMFADevice"
    ]
    # moto accepts any two codes.
    iam.enable_mfa_device(
        UserName=name,
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    listed = iam.list_mfa_devices(UserName=name)["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [device["SerialNumber"]], listed
    for var, value in [
        ("E2E_ACCESS_KEY_ID", key["AccessKeyId"]),
        ("E2E_SECRET_ACCESS_KEY", key["SecretAccessKey"]),
        ("E2E_MFA_SERIAL", device["SerialNumber"]),
        ("E2E_USER_ARN", user["Arn"]),
    ]:
        # Values are [A-Za-z0-9+/:-]: safe inside single quotes.
        print(f"{var.replace('E2E', prefix, 1)}='{value}'")


def access_keys(endpoint, user):
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    for k in sorted(k["AccessKeyId"] for k in keys):
        print(k)


def recording(endpoint):
    """The recorder's entries as (action, headers, params) triples."""
    url = endpoint + "/moto-api/recorder/download-recording"
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        params = urllib.parse.parse_qs(body)
        params.update(urllib.parse.parse_qs(urllib.parse.urlsplit(entry["url"]).query))
        action = (params.get("Action") or [""])[0]
        out.append((action, entry.get("headers") or {}, params))
    return out


def count(endpoint, action):
    print(sum(1 for a, _, _ in recording(endpoint) if a == action))


def signer(endpoint, action):
    hits = [h for a, h, _ in recording(endpoint) if a == action]
    if not hits:
        sys.exit(f"no {action} request recorded")
    headers = {k.lower(): v for k, v in hits[-1].items()}
    auth = headers.get("authorization", "")
    # AWS4-HMAC-SHA256 Credential=KEYID/DATE/REGION/sts/aws4_request, SignedHeaders=…, Signature=…
    cred = auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else ""
    print(cred, headers.get("x-amz-security-token", ""))


def params(endpoint, action):
    hits = [p for a, _, p in recording(endpoint) if a == action]
    if not hits:
        sys.exit(f"no {action} request recorded")
    print(json.dumps({k: v[0] for k, v in sorted(hits[-1].items())}))


def paths(value, prefix=""):
    kind = {dict: "object", list: "array", str: "string", bool: "boolean",
            int: "number", float: "number", type(None): "null"}[type(value)]
    yield f"{prefix or '.'}: {kind}"
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, f"{prefix}.{k}")
    elif isinstance(value, list):
        for v in value:
            yield from paths(v, f"{prefix}[]")


def shape(path):
    with open(path) as f:
        doc = json.load(f)
    for line in sorted(set(paths(doc))):
        print(line)


def raw_error(endpoint, key, secret):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=GetSessionToken&Version=2011-06-15"
    req = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(key, secret), "sts", "us-east-1").add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(
        prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST"
    )
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            status, data = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    print(status)
    sys.stdout.write(data.decode())


def local(tag):
    return tag.rsplit("}", 1)[-1]


def error_fields(root):
    """(shape, {Code, Message, Type}) of an STS/query error document."""
    if local(root.tag) != "ErrorResponse":
        raise SystemExit(f"root is <{local(root.tag)}>, not <ErrorResponse>")
    children = {local(c.tag): c for c in root}
    if "Errors" in children:
        kind, err = "errors", next(c for c in children["Errors"] if local(c.tag) == "Error")
    elif "Error" in children:
        kind, err = "error", children["Error"]
    else:
        raise SystemExit("no <Error> or <Errors> under <ErrorResponse>")
    return kind, {local(c.tag): (c.text or "") for c in err}


def error_shape(path):
    print(error_fields(ET.parse(path).getroot())[0])


def reshape(path):
    kind, fields = error_fields(ET.parse(path).getroot())
    if kind == "errors":
        # What real STS sends: namespaced root, <Error> directly under it, then RequestId.
        root = ET.Element("ErrorResponse", xmlns="https://sts.amazonaws.com/doc/2011-06-15/")
        err = ET.SubElement(root, "Error")
        for tag in ("Type", "Code", "Message"):
            if tag in fields:
                ET.SubElement(err, tag).text = fields[tag]
        ET.SubElement(root, "RequestId").text = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"
        sys.stdout.write(ET.tostring(root, encoding="unicode") + "\n")
    else:
        # moto's shape for auth failures.
        root = ET.Element("ErrorResponse")
        err = ET.SubElement(ET.SubElement(root, "Errors"), "Error")
        for tag in ("Code", "Message", "Type"):
            if tag in fields:
                ET.SubElement(err, tag).text = fields[tag]
        sys.stdout.write('<?xml version="1.0" encoding="utf-8"?>\n'
                         + ET.tostring(root, encoding="unicode"))


def serve(portfile, bodyfile):
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n:
                self.rfile.read(n)
            with open(bodyfile, "rb") as f:
                body = f.read()
            self.send_response(403)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


def expire_in(directory, profile, seconds):
    import datetime

    entries = [
        n
        for n in os.listdir(directory)
        if n.startswith(profile + "-") and n.endswith(".json")
    ]
    if len(entries) != 1:
        sys.exit(f"want one cache entry for {profile}, found {entries}")
    path = os.path.join(directory, entries[0])
    with open(path) as f:
        entry = json.load(f)
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=int(seconds)
    )
    entry["Credentials"]["Expiration"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    obtained = when - datetime.timedelta(hours=1)
    entry["obtained"] = obtained.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "r+") as f:  # in place: keeps the owner and the 0600 mode
        f.truncate()
        json.dump(entry, f)


def boto3_calls(profile, endpoint, n):
    import boto3

    session = boto3.Session(profile_name=profile)
    client = session.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    for _ in range(int(n)):
        client.get_caller_identity()
    print(session.get_credentials().get_frozen_credentials().account_id)


def signers(endpoint, action):
    """The access key id of every ACTION request, one per line."""
    for a, headers, _ in recording(endpoint):
        if a != action:
            continue
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        print(auth.split("Credential=", 1)[1].split("/", 1)[0] if "Credential=" in auth else "-")


def server_renewal(endpoint, seconds):
    """Calls GetCallerIdentity once a second for SECONDS with boto3's default chain
    (the credential server of `exec --server`). Fails on any error, or if boto3 ever
    holds credentials with 15 minutes or less left, its refresh window. Prints how
    many different credentials it was handed."""
    import time

    import boto3

    session = boto3.Session()
    client = session.client("sts", endpoint_url=endpoint, region_name="us-east-1")
    seen = []
    end = time.time() + float(seconds)
    while time.time() < end:
        client.get_caller_identity()
        creds = session.get_credentials()
        frozen = creds.get_frozen_credentials()
        if frozen.access_key not in seen:
            if creds.method != "container-role":
                sys.exit(f"boto3 got its credentials from {creds.method}")
            left = creds._expiry_time.timestamp() - time.time()
            if left <= 900:
                sys.exit(f"handed credentials with {left:.0f} s left")
            seen.append(frozen.access_key)
        time.sleep(1)
    print(len(seen))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        "free-port": free_port,
        "setup-user": setup_user,
        "access-keys": access_keys,
        "count": count,
        "signer": signer,
        "params": params,
        "shape": shape,
        "raw-error": raw_error,
        "error-shape": error_shape,
        "reshape": reshape,
        "serve": serve,
        "expire-in": expire_in,
        "boto3-calls": boto3_calls,
        "signers": signers,
        "server-renewal": server_renewal,
    }[cmd](*args)


if __name__ == "__main__":
    main()
