#!/usr/bin/env python3
"""Conformance of alioss-emulator with Alibaba Cloud's official Python SDKs.

Drives `alibabacloud_oss_v2` (OSS, its own V4 and V1 signers) and `alibabacloud_sts20150401`
(STS AssumeRole, HMAC-SHA1 RPC) against a running emulator and checks that what the cloud accepts
is accepted and what the cloud refuses is refused with the cloud's error code.

Usage: conformance.py --ready-file FILE
  FILE holds the JSON that the emulator printed after `ALIOSS_EMULATOR_READY `.

Prints one `PASS <case>` or `FAIL <case>: <why>` line per case, then `N passed, M failed`.
Exit status 1 if any case failed. Secrets, security tokens, signatures and presigned URLs are
never printed: every line goes through `redact`.
"""

from __future__ import annotations

import argparse
import datetime
import email.utils
import hashlib
import io
import json
import os
import re
import tempfile
import sys
import traceback
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Dict, List, Optional

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2 import exceptions as oss_exceptions
from alibabacloud_oss_v2.crc import Crc64
from alibabacloud_sts20150401 import models as sts_models
from alibabacloud_sts20150401.client import Client as StsClient
from alibabacloud_tea_openapi.utils_models import Config as OpenApiConfig
from darabonba.runtime import RuntimeOptions

# What the emulator's contract (EMULATOR_API.md) promises for the demo configuration; used only
# where the READY line does not name a role.
DEMO_ACCOUNT_ID = "1234567890123456"
DEMO_ROLE_ARN = "acs:ram::1234567890123456:role/ramosstest"
DEMO_READER_ROLE_ARN = "acs:ram::1234567890123456:role/ramossreader"
BUCKET = "examplebucket"
REGION = "cn-hangzhou"
WRONG_SECRET = "wrong-test-secret"
# Unique per run so that a reused emulator (or data dir) cannot make a case pass by accident.
RUN = uuid.uuid4().hex[:12]

_SECRETS: List[str] = []


def remember_secret(value: Optional[str]) -> None:
    """Registers a value that must never be printed."""
    if value and len(value) >= 4 and value not in _SECRETS:
        _SECRETS.append(value)


def redact(text: str) -> str:
    """Removes registered secrets, query strings (presigned URLs) and signatures from text."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "<redacted>")
    text = re.sub(r"(https?://[^\s?'\"]+)\?[^\s'\"]*", r"\1?<query redacted>", text)
    text = re.sub(r"(Signature=)[^,\s&]+", r"\1<redacted>", text)
    return text


class Mismatch(Exception):
    """The emulator answered, but not as the cloud would."""


# ---------------------------------------------------------------------------------------------
# Helpers: errors, clients, HTTP


def service_error(exc: BaseException) -> Optional[oss_exceptions.ServiceError]:
    """The OSS ServiceError inside an SDK exception chain, if any."""
    seen = 0
    current: Optional[BaseException] = exc
    while current is not None and seen < 10:
        if isinstance(current, oss_exceptions.ServiceError):
            return current
        unwrap = getattr(current, "unwrap", None)
        nxt = unwrap() if callable(unwrap) else None
        current = nxt if nxt is not None else current.__cause__
        seen += 1
    return None


def describe(exc: BaseException) -> str:
    """A short, secret-free description of an exception."""
    err = service_error(exc)
    if err is not None:
        return f"ServiceError status={err.status_code} code={err.code} ec={err.ec}"
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
    if code is not None or status is not None:
        return f"{type(exc).__name__} status={status} code={code}"
    inner = getattr(exc, "unwrap", None)
    if callable(inner) and inner() is not None and inner() is not exc:
        return f"{type(exc).__name__}: {describe(inner())}"
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def expect_refused(
    call: Callable[[], Any], status: int, code: str, message: Optional[str] = None,
    then: Optional[Callable[[oss_exceptions.ServiceError], str]] = None,
) -> str:
    """Runs an SDK call that must fail with an OSS ServiceError of this status and code;
    `then` checks the error further and describes what it found."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - any SDK error is inspected below
        err = service_error(exc)
        if err is None:
            raise Mismatch(f"expected HTTP {status} {code}, got {describe(exc)}") from None
        if err.status_code != status or err.code != code:
            raise Mismatch(
                f"expected HTTP {status} {code}, got HTTP {err.status_code} {err.code}"
            ) from None
        if message is not None and message not in (err.message or ""):
            raise Mismatch(f"expected message containing {message!r}, got {err.message!r}")
        extra = then(err) if then is not None else ""
        return f"HTTP {err.status_code} {err.code}" + (f"; {extra}" if extra else "")
    raise Mismatch(f"expected HTTP {status} {code}, but the request was accepted")


class RecordingSignerV4(oss.signer.SignerV4):
    """The SDK's own V4 signer; remembers the last string-to-sign it produced."""

    last_string_to_sign: Optional[str] = None

    def sign(self, signing_ctx: Any) -> None:
        super().sign(signing_ctx)
        self.last_string_to_sign = signing_ctx.string_to_sign


class RecordingSignerV1(oss.signer.SignerV1):
    """The SDK's own V1 signer; remembers the last string-to-sign it produced."""

    last_string_to_sign: Optional[str] = None

    def sign(self, signing_ctx: Any) -> None:
        super().sign(signing_ctx)
        self.last_string_to_sign = signing_ctx.string_to_sign


def oss_client(
    endpoint: str,
    key_id: str,
    secret: str,
    token: Optional[str] = None,
    signature_version: str = "v4",
    signing_time: Optional[datetime.datetime] = None,
    signer: Any = None,
    virtual_host: bool = False,
) -> oss.Client:
    """An official OSS client. `signing_time` pins the client's clock (the SDK signs with a
    caller-supplied `x-oss-date`), modelling a client whose clock agrees with the server's.

    `virtual_host`: the SDK addresses `examplebucket.oss-cn-hangzhou.localhost:PORT` (virtual-hosted
    style, as for a real OSS endpoint) and reaches the emulator as its HTTP proxy, so the request
    line is in absolute form and the Host header names the bucket."""
    headers = None
    if signing_time is not None:
        headers = {"x-oss-date": email.utils.format_datetime(signing_time, usegmt=True)}
    cfg = oss.config.load_default()
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(key_id, secret, token)
    cfg.region = REGION
    cfg.endpoint = endpoint
    cfg.signature_version = signature_version
    cfg.use_path_style = True  # the SDK also forces it for an IP endpoint
    if virtual_host:
        port = endpoint.rsplit(":", 1)[1]
        cfg.endpoint = f"http://oss-{REGION}.localhost:{port}"
        cfg.use_path_style = False
        # requests' proxy keys are schemes; the SDK's string form ("http://") is not matched.
        cfg.proxy_host = {"http": endpoint}
    cfg.retry_max_attempts = 1  # a conformance run wants the first answer, not a retried one
    cfg.connect_timeout = 5
    cfg.readwrite_timeout = 30
    if headers:
        cfg.default_request_headers = headers
    if signer is not None:
        return oss.Client(cfg, signer=signer)
    return oss.Client(cfg)


def http(method: str, url: str, body: Optional[bytes] = None,
         headers: Optional[Dict[str, str]] = None) -> "tuple[int, Dict[str, str], bytes]":
    """A plain HTTP request (no SDK): returns status, headers, body; never raises on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def xml_field(body: bytes, name: str) -> Optional[str]:
    m = re.search(rf"<{name}>(.*?)</{name}>", body.decode("utf-8", "replace"), re.S)
    return m.group(1) if m else None


def crc64(data: bytes) -> int:
    c = Crc64(0)
    c.update(data)
    return c.sum64()


def get_bytes(client: oss.Client, key: str, range_header: Optional[str] = None) -> bytes:
    result = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key,
                                                    range_header=range_header))
    try:
        return result.body.read()
    finally:
        result.body.close()


def check_equal(what: str, expected: bytes, actual: bytes) -> None:
    if expected != actual:
        same = " of different content" if len(expected) == len(actual) else ""
        raise Mismatch(f"{what}: expected {len(expected)} bytes, got {len(actual)} bytes{same}")


def payload(size: int, seed: str) -> bytes:
    """Deterministic pseudo-random bytes (not compressible, not all equal)."""
    out = bytearray()
    block = seed.encode()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(block + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


# ---------------------------------------------------------------------------------------------
# The emulator: READY line, admin endpoint, STS


class Emulator:
    def __init__(self, ready: Dict[str, Any]) -> None:
        self.endpoint: str = ready["endpoint"].rstrip("/")
        self.account_id: str = ready.get("account_id", DEMO_ACCOUNT_ID)
        root = ready["root"]
        self.root_id: str = root["access_key_id"]
        self.root_secret: str = root["access_key_secret"]
        self.users: Dict[str, Dict[str, str]] = ready.get("users", {})
        self.roles: Dict[str, str] = ready.get("roles", {})
        remember_secret(self.root_secret)
        for user in self.users.values():
            remember_secret(user.get("access_key_secret"))

    def user(self, name: str) -> "tuple[str, str]":
        if name not in self.users:
            raise Mismatch(f"the READY line names no RAM user {name!r}")
        u = self.users[name]
        return u["access_key_id"], u["access_key_secret"]

    def role_arn(self, name: str, fallback: str) -> str:
        return self.roles.get(name, fallback)

    def admin(self, method: str, path: str, doc: Optional[Dict[str, Any]] = None) -> Any:
        body = json.dumps(doc).encode() if doc is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, _, data = http(method, self.endpoint + path, body, headers)
        if status // 100 != 2:
            raise Mismatch(f"admin {method} {path}: HTTP {status}")
        try:
            return json.loads(data) if data else None
        except ValueError:
            raise Mismatch(f"admin {method} {path}: body is not JSON") from None

    def server_now(self) -> datetime.datetime:
        doc = self.admin("GET", "/_emulator/clock")
        now = doc.get("now") if isinstance(doc, dict) else None
        try:
            return datetime.datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc)
        except (TypeError, ValueError):
            raise Mismatch(f"GET /_emulator/clock: 'now' is not yyyy-MM-ddTHH:mm:ssZ: {now!r}") \
                from None

    def assume_role(self, key_id: str, secret: str, role_arn: str, session: str,
                    policy: Optional[str] = None, duration: Optional[int] = None) -> Any:
        """AssumeRole through the official STS SDK (HMAC-SHA1 RPC, as the credentials SDKs and
        the Go STS client sign it). Returns the SDK's response body."""
        host = self.endpoint.split("://", 1)[1]
        config = OpenApiConfig(
            access_key_id=key_id,
            access_key_secret=secret,
            endpoint=host,
            protocol="http",
            region_id=REGION,
            signature_algorithm="v2",
            connect_timeout=5000,
            read_timeout=30000,
        )
        client = StsClient(config)
        runtime = RuntimeOptions(autoretry=False, max_attempts=1)
        request = sts_models.AssumeRoleRequest(
            role_arn=role_arn, role_session_name=session,
            duration_seconds=duration, policy=policy)
        body = client.assume_role_with_options(request, runtime).body
        creds = body.credentials
        if creds is not None:
            remember_secret(creds.access_key_secret)
            remember_secret(creds.security_token)
        return body


class StsCreds:
    def __init__(self, body: Any) -> None:
        c = body.credentials
        if c is None or not c.access_key_id or not c.access_key_secret or not c.security_token:
            raise Mismatch("AssumeRole answer lacks Credentials.AccessKeyId/Secret/SecurityToken")
        self.key_id: str = c.access_key_id
        self.secret: str = c.access_key_secret
        self.token: str = c.security_token
        self.expiration: str = c.expiration or ""
        self.arn: str = (body.assumed_role_user.arn if body.assumed_role_user else "") or ""


def check_sts_shape(creds: StsCreds, role_arn: str, session: str) -> str:
    if not creds.key_id.startswith("STS."):
        raise Mismatch("AccessKeyId does not start with 'STS.'")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", creds.expiration):
        raise Mismatch(f"Expiration is not yyyy-MM-ddTHH:mm:ssZ: {creds.expiration!r}")
    expected_arn = f"{role_arn}/{session}"
    if creds.arn != expected_arn:
        raise Mismatch(f"AssumedRoleUser.Arn: expected {expected_arn!r}, got {creds.arn!r}")
    return f"Expiration {creds.expiration}"


def sts_refused(call: Callable[[], Any], code: str) -> str:
    try:
        call()
    except Exception as exc:  # noqa: BLE001
        got = getattr(exc, "code", None)
        status = getattr(exc, "status_code", None) or getattr(exc, "statusCode", None)
        if got != code or status is None or not 400 <= int(status) < 500:
            raise Mismatch(f"expected HTTP 4xx {code}, got {describe(exc)}") from None
        return f"HTTP {status} {got}"
    raise Mismatch(f"expected HTTP 4xx {code}, but AssumeRole succeeded")


# ---------------------------------------------------------------------------------------------
# Case runner


class Runner:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.verbose = os.environ.get("CONFORMANCE_VERBOSE") == "1"

    def case(self, name: str, fn: Callable[[], Optional[str]]) -> bool:
        try:
            detail = fn()
        except Mismatch as exc:
            self.failed += 1
            print(redact(f"FAIL {name}: {exc}"), flush=True)
            return False
        except Exception as exc:  # noqa: BLE001 - report, never crash the run
            self.failed += 1
            print(redact(f"FAIL {name}: unexpected {describe(exc)}"), flush=True)
            if self.verbose:
                print(redact(traceback.format_exc()), file=sys.stderr)
            return False
        self.passed += 1
        print(redact(f"PASS {name}" + (f" ({detail})" if detail else "")), flush=True)
        return True


# ---------------------------------------------------------------------------------------------
# Accepted operations, shared by the root-key, STS and V1 runs


def put_get_cases(r: Runner, label: str, writer: oss.Client, reader: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/put.bin"
    data = payload(10_000, key)

    def put() -> str:
        res = writer.put_object(oss.PutObjectRequest(
            bucket=BUCKET, key=key, body=data, metadata={"case": label}))
        if res.status_code != 200:
            raise Mismatch(f"status {res.status_code}")
        if not res.etag:
            raise Mismatch("no ETag")
        if res.hash_crc64 != str(crc64(data)):
            raise Mismatch(f"x-oss-hash-crc64ecma {res.hash_crc64!r} != {crc64(data)}")
        return "ETag and CRC-64 present and right"

    def get() -> str:
        check_equal("GetObject", data, get_bytes(reader, key))
        check_equal("GetObject Range bytes=100-199", data[100:200],
                    get_bytes(reader, key, "bytes=100-199"))
        return f"{len(data)} bytes equal; Range equal"

    if r.case(f"{label}: PutObject", put):
        r.case(f"{label}: GetObject returns the bytes put (and a Range of them)", get)


def append_cases(r: Runner, label: str, writer: oss.Client, reader: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/append.log"
    first, second = payload(3000, key + "1"), payload(1234, key + "2")

    def append() -> str:
        res1 = writer.append_object(oss.AppendObjectRequest(
            bucket=BUCKET, key=key, position=0, body=first))
        if res1.next_position != len(first):
            raise Mismatch(f"first append: next position {res1.next_position} != {len(first)}")
        res2 = writer.append_object(oss.AppendObjectRequest(
            bucket=BUCKET, key=key, position=len(first), body=second))
        total = len(first) + len(second)
        if res2.next_position != total:
            raise Mismatch(f"second append: next position {res2.next_position} != {total}")
        if res2.hash_crc64 != str(crc64(first + second)):
            raise Mismatch(f"x-oss-hash-crc64ecma after 2 appends {res2.hash_crc64!r}"
                           f" != {crc64(first + second)}")
        check_equal("GetObject after appends", first + second, get_bytes(reader, key))
        return f"positions 0 -> {len(first)} -> {total}; content equal"

    def wrong_position() -> str:
        return expect_refused(lambda: writer.append_object(oss.AppendObjectRequest(
            bucket=BUCKET, key=key, position=1, body=b"x")), 409, "PositionNotEqualToLength")

    if r.case(f"{label}: AppendObject twice (position 0, then the next position)", append):
        r.case(f"{label}: AppendObject at a stale position is refused", wrong_position)


def multipart_case(r: Runner, label: str, writer: oss.Client, reader: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/multipart.bin"
    parts = [payload(128 * 1024, key + "1"), payload(100 * 1024, key + "2"),
             payload(777, key + "3")]

    def run() -> str:
        init = writer.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
            bucket=BUCKET, key=key))
        if not init.upload_id:
            raise Mismatch("InitiateMultipartUpload returned no UploadId")
        done = []
        for number, body in enumerate(parts, start=1):
            res = writer.upload_part(oss.UploadPartRequest(
                bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=number, body=body))
            if not res.etag:
                raise Mismatch(f"UploadPart {number} returned no ETag")
            done.append(oss.UploadPart(part_number=number, etag=res.etag))
        res = writer.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id,
            complete_multipart_upload=oss.CompleteMultipartUpload(parts=done)))
        whole = b"".join(parts)
        if res.hash_crc64 != str(crc64(whole)):
            raise Mismatch(f"Complete x-oss-hash-crc64ecma {res.hash_crc64!r} != {crc64(whole)}")
        if res.key != key or res.bucket != BUCKET:
            raise Mismatch(f"Complete result names {res.bucket}/{res.key}")
        check_equal("GetObject after Complete", whole, get_bytes(reader, key))
        return f"{len(parts)} parts, {len(whole)} bytes, combined CRC-64 right"

    r.case(f"{label}: multipart upload (128 KiB + 100 KiB + 777 B parts), then GetObject", run)


def encoded_keys_case(r: Runner, label: str, client: oss.Client) -> None:
    """Keys with '+', spaces and control characters through the SDK's encoding-type=url: its
    listing pages follow the emulator's URL-encoded continuation tokens (standard base64 with
    '/', '+' and '='), and its multipart calls decode the key the emulator answers."""
    prefix = f"conformance/{RUN}/{label}/enc/"
    keys = [prefix + "???", prefix + "a+b c\x01", prefix + "~~~"]

    def run() -> str:
        for k in keys:
            client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=k, body=b"x"))
        listed, token, pages = [], None, 0
        while True:
            res = client.list_objects_v2(oss.ListObjectsV2Request(
                bucket=BUCKET, prefix=prefix, max_keys=1, continuation_token=token))
            pages += 1
            listed.extend(o.key for o in (res.contents or []))
            if not res.is_truncated:
                break
            token = res.next_continuation_token
            if not token:
                raise Mismatch("a truncated page without NextContinuationToken")
        if listed != keys:
            raise Mismatch(f"listed {listed!r}, expected {keys!r}")
        key = prefix + "multi+part \x01\n.bin"
        init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(
            bucket=BUCKET, key=key))
        if init.key != key:
            raise Mismatch(f"InitiateMultipartUpload answered key {init.key!r}")
        part = client.upload_part(oss.UploadPartRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=1, body=b"part"))
        lp = client.list_parts(oss.ListPartsRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id))
        if lp.key != key:
            raise Mismatch(f"ListParts answered key {lp.key!r}")
        done = client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id,
            complete_multipart_upload=oss.CompleteMultipartUpload(
                parts=[oss.UploadPart(part_number=1, etag=part.etag)])))
        if done.key != key:
            raise Mismatch(f"CompleteMultipartUpload answered key {done.key!r}")
        check_equal("GetObject of the multipart key", b"part", get_bytes(client, key))
        return f"{pages} pages through encoded tokens; multipart key decoded by the SDK 3 times"

    r.case(f"{label}: keys with '+', spaces and control characters (encoding-type=url)", run)


def head_case(r: Runner, label: str, reader: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/put.bin"

    def run() -> str:
        res = reader.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=key))
        if res.content_length != 10_000:
            raise Mismatch(f"Content-Length {res.content_length} != 10000")
        if (res.metadata or {}).get("case") != label:
            raise Mismatch(f"x-oss-meta-case {(res.metadata or {}).get('case')!r} != {label!r}")
        if res.hash_crc64 != str(crc64(payload(10_000, key))):
            raise Mismatch("x-oss-hash-crc64ecma differs from the object's CRC-64")
        missing = expect_refused(lambda: reader.head_object(oss.HeadObjectRequest(
            bucket=BUCKET, key=key + ".missing")), 404, "NoSuchKey")
        return f"length, user metadata, CRC-64 right; missing key: {missing} (from x-oss-err)"

    r.case(f"{label}: HeadObject (and a missing key's error read from x-oss-err)", run)


def transfer_manager_cases(r: Runner, label: str, writer: oss.Client,
                           reader: oss.Client) -> None:
    """The SDK's own Uploader and Downloader: parallel UploadPart / ranged GetObject."""
    key = f"conformance/{RUN}/{label}/uploader.bin"
    data = payload(1024 * 1024 + 4321, key)

    def upload() -> str:
        up = writer.uploader(part_size=200 * 1024, parallel_num=3)
        res = up.upload_from(oss.PutObjectRequest(bucket=BUCKET, key=key), io.BytesIO(data))
        if res.hash_crc64 != str(crc64(data)):
            raise Mismatch(f"x-oss-hash-crc64ecma {res.hash_crc64!r} != {crc64(data)}")
        check_equal("GetObject after Uploader", data, get_bytes(reader, key))
        parts = -(-len(data) // (200 * 1024))
        return f"{len(data)} bytes in {parts} parts, 3 in parallel; CRC-64 and content right"

    def download() -> str:
        down = reader.downloader(part_size=256 * 1024, parallel_num=3)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "object.bin")
            down.download_file(oss.GetObjectRequest(bucket=BUCKET, key=key), path)
            with open(path, "rb") as f:
                check_equal("Downloader", data, f.read())
        ranges = -(-len(data) // (256 * 1024))
        return f"HeadObject + {ranges} ranged GETs, 3 in parallel; content equal"

    if r.case(f"{label}: SDK Uploader (multipart, 200 KiB parts, 3 in parallel)", upload):
        r.case(f"{label}: SDK Downloader (ranged GETs, 3 in parallel)", download)


def presign_get_case(r: Runner, label: str, signer: oss.Client, writer: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/presigned-get.txt"
    data = b"fetched through a presigned URL " + RUN.encode()

    def run() -> str:
        writer.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=data))
        pre = signer.presign(oss.GetObjectRequest(bucket=BUCKET, key=key),
                             expires=datetime.timedelta(minutes=10))
        remember_secret(pre.url.split("?", 1)[1] if "?" in pre.url else None)
        status, _, body = http("GET", pre.url, headers=pre.signed_headers or {})
        if status != 200:
            raise Mismatch(f"HTTP {status} {xml_field(body, 'Code')}")
        check_equal("presigned GET", data, body)
        return "urllib GET, content equal"

    r.case(f"{label}: presigned GET used with urllib", run)


def presign_put_case(r: Runner, label: str, signer: oss.Client, reader: oss.Client) -> None:
    key = f"conformance/{RUN}/{label}/presigned-put.bin"
    data = payload(4096, key)

    def run() -> str:
        pre = signer.presign(oss.PutObjectRequest(
            bucket=BUCKET, key=key, content_type="application/octet-stream"),
            expires=datetime.timedelta(minutes=10))
        remember_secret(pre.url.split("?", 1)[1] if "?" in pre.url else None)
        headers = dict(pre.signed_headers or {})
        headers.setdefault("Content-Type", "application/octet-stream")
        status, _, body = http("PUT", pre.url, data, headers)
        if status != 200:
            raise Mismatch(f"HTTP {status} {xml_field(body, 'Code')}")
        check_equal("GetObject after presigned PUT", data, get_bytes(reader, key))
        return "urllib PUT, read back equal"

    r.case(f"{label}: presigned PUT used with urllib", run)


# ---------------------------------------------------------------------------------------------
# The run


def expect_status(call: Callable[[], Any], status: int) -> str:
    """Runs an SDK call that must fail with an OSS ServiceError of this HTTP status (for 304,
    which carries no error body and so no code)."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - any SDK error is inspected below
        err = service_error(exc)
        if err is None or err.status_code != status:
            raise Mismatch(f"expected HTTP {status}, got {describe(exc)}") from None
        return f"HTTP {err.status_code}"
    raise Mismatch(f"expected HTTP {status}, but the request was accepted")


def object_ops_cases(r: Runner, label: str, client: oss.Client,
                     no_read: Optional[oss.Client] = None, tagging: bool = True) -> None:
    """CopyObject, DeleteMultipleObjects, conditional GET and (with `tagging`) object tagging
    through the official SDK; `no_read` may write but not read (RamOssTest), for the copy
    refusal."""
    base = f"conformance/{RUN}/{label}/ops"
    src, data = f"{base}/src.bin", payload(4096, base)
    state: Dict[str, Any] = {}

    def prepare() -> str:
        res = client.put_object(oss.PutObjectRequest(
            bucket=BUCKET, key=src, body=data, metadata={"origin": "src"}))
        state["etag"] = res.etag
        return None

    if not r.case(f"{label}: PutObject (copy source)", prepare):
        return

    def copy_keep() -> str:
        dst = f"{base}/copy-keep.bin"
        res = client.copy_object(oss.CopyObjectRequest(
            bucket=BUCKET, key=dst, source_bucket=BUCKET, source_key=src))
        if res.status_code != 200 or not res.etag:
            raise Mismatch(f"status {res.status_code}, etag {res.etag!r}")
        check_equal("copied bytes", data, get_bytes(client, dst))
        head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=dst))
        if (head.metadata or {}).get("origin") != "src":
            raise Mismatch(f"metadata not copied: {head.metadata!r}")
        return "bytes and x-oss-meta-origin copied"

    def copy_replace() -> str:
        dst = f"{base}/copy-replace.bin"
        client.copy_object(oss.CopyObjectRequest(
            bucket=BUCKET, key=dst, source_bucket=BUCKET, source_key=src,
            metadata_directive="REPLACE", metadata={"origin": "replaced"},
            content_type="text/plain"))
        head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=dst))
        if (head.metadata or {}).get("origin") != "replaced" or head.content_type != "text/plain":
            raise Mismatch(f"metadata {head.metadata!r}, type {head.content_type!r}")
        return "metadata and Content-Type replaced"

    r.case(f"{label}: CopyObject (metadata COPY)", copy_keep)
    r.case(f"{label}: CopyObject (metadata REPLACE)", copy_replace)
    r.case(f"{label}: refuse: CopyObject forbid-overwrite onto an existing key -> "
           "FileAlreadyExists",
           lambda: expect_refused(lambda: client.copy_object(oss.CopyObjectRequest(
               bucket=BUCKET, key=f"{base}/copy-keep.bin", source_bucket=BUCKET,
               source_key=src, forbid_overwrite=True)), 409, "FileAlreadyExists"))
    r.case(f"{label}: refuse: CopyObject x-oss-copy-source-if-match mismatch -> "
           "PreconditionFailed",
           lambda: expect_refused(lambda: client.copy_object(oss.CopyObjectRequest(
               bucket=BUCKET, key=f"{base}/copy-cond.bin", source_bucket=BUCKET,
               source_key=src, if_match='"00000000000000000000000000000000"')),
               412, "PreconditionFailed"))
    if no_read is not None:
        r.case(f"{label}: refuse: CopyObject from a key the credentials cannot read -> "
               "AccessDenied",
               lambda: expect_refused(lambda: no_read.copy_object(oss.CopyObjectRequest(
                   bucket=BUCKET, key=f"{base}/stolen.bin", source_bucket=BUCKET,
                   source_key=src)), 403, "AccessDenied"))

    etag = state["etag"]
    # The SDK sends these headers as given: HTTP dates.
    now = datetime.datetime.now(datetime.timezone.utc)
    past = email.utils.format_datetime(now - datetime.timedelta(days=1), usegmt=True)
    future = email.utils.format_datetime(now + datetime.timedelta(days=1), usegmt=True)

    def cond_ok() -> str:
        res = client.get_object(oss.GetObjectRequest(
            bucket=BUCKET, key=src, if_match=etag, if_modified_since=past))
        try:
            check_equal("GetObject If-Match", data, res.body.read())
        finally:
            res.body.close()
        return "If-Match + If-Modified-Since(past) answered 200"

    r.case(f"{label}: GetObject If-Match (right ETag)", cond_ok)
    r.case(f"{label}: refuse: GetObject If-Match (wrong ETag) -> PreconditionFailed",
           lambda: expect_refused(lambda: client.get_object(oss.GetObjectRequest(
               bucket=BUCKET, key=src, if_match='"0"')), 412, "PreconditionFailed"))
    r.case(f"{label}: GetObject If-None-Match (same ETag) -> 304",
           lambda: expect_status(lambda: client.get_object(oss.GetObjectRequest(
               bucket=BUCKET, key=src, if_none_match=etag)), 304))
    r.case(f"{label}: GetObject If-Modified-Since (future) -> 304",
           lambda: expect_status(lambda: client.get_object(oss.GetObjectRequest(
               bucket=BUCKET, key=src, if_modified_since=future)), 304))
    r.case(f"{label}: refuse: GetObject If-Unmodified-Since (past) -> PreconditionFailed",
           lambda: expect_refused(lambda: client.get_object(oss.GetObjectRequest(
               bucket=BUCKET, key=src, if_unmodified_since=past)), 412, "PreconditionFailed"))

    def tags_round_trip() -> str:
        client.put_object_tagging(oss.PutObjectTaggingRequest(
            bucket=BUCKET, key=src, tagging=oss.Tagging(tag_set=oss.TagSet(tags=[
                oss.Tag(key="team", value="data"), oss.Tag(key="a b", value="x&y")]))))
        got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=BUCKET, key=src))
        tags = sorted((t.key, t.value) for t in (got.tag_set.tags or []))
        if tags != [("a b", "x&y"), ("team", "data")]:
            raise Mismatch(f"GetObjectTagging answered {tags!r}")
        client.delete_object_tagging(oss.DeleteObjectTaggingRequest(bucket=BUCKET, key=src))
        got = client.get_object_tagging(oss.GetObjectTaggingRequest(bucket=BUCKET, key=src))
        if got.tag_set is not None and got.tag_set.tags:
            raise Mismatch(f"tags left after DeleteObjectTagging: {got.tag_set.tags!r}")
        return "Put, Get, Delete round-trip"

    if tagging:
        r.case(f"{label}: PutObjectTagging / GetObjectTagging / DeleteObjectTagging",
               tags_round_trip)

    def delete_multiple(quiet: bool) -> Callable[[], str]:
        def run() -> str:
            # A literal `%2F` is part of the key: the official SDK sends keys as they are.
            keys = [f"{base}/del-{quiet}-{i} ü&<>%2F=" for i in range(3)]
            sibling = f"{base}/del-{quiet}-0 ü&<>/="
            for k in keys + [sibling]:
                client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=k, body=b"x"))
            res = client.delete_multiple_objects(oss.DeleteMultipleObjectsRequest(
                bucket=BUCKET, encoding_type="url", quiet=quiet,
                objects=[oss.DeleteObject(key=k) for k in keys]))
            listed = sorted(d.key for d in (res.deleted_objects or []))
            if quiet and listed:
                raise Mismatch(f"quiet mode listed {listed!r}")
            if not quiet and listed != sorted(keys):
                raise Mismatch(f"Deleted lists {listed!r}")
            for k in keys:
                expect_refused(lambda k=k: client.head_object(
                    oss.HeadObjectRequest(bucket=BUCKET, key=k)), 404, "NoSuchKey")
            # The key with a real `/` where the others have `%2F` is still there.
            client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=sibling))
            client.delete_object(oss.DeleteObjectRequest(bucket=BUCKET, key=sibling))
            return f"{len(keys)} keys gone" + (" (quiet)" if quiet else ", all listed")
        return run

    r.case(f"{label}: DeleteMultipleObjects (encoding-type=url)", delete_multiple(False))
    r.case(f"{label}: DeleteMultipleObjects (quiet)", delete_multiple(True))
    r.case(f"{label}: refuse: DeleteMultipleObjects with 1001 keys -> MalformedXML",
           lambda: expect_refused(lambda: client.delete_multiple_objects(
               oss.DeleteMultipleObjectsRequest(bucket=BUCKET, objects=[
                   oss.DeleteObject(key=f"{base}/k{i}") for i in range(1001)])),
               400, "MalformedXML"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ready-file", required=True)
    args = parser.parse_args()
    with open(args.ready_file, encoding="utf-8") as f:
        emu = Emulator(json.load(f))

    r = Runner()
    ep = emu.endpoint

    r.case("self-check: CRC-64/XZ of '123456789' is 0x995DC9BBDF1939FA",
           lambda: None if crc64(b"123456789") == 0x995DC9BBDF1939FA
           else (_ for _ in ()).throw(Mismatch("SDK CRC-64 differs")))

    def health() -> str:
        doc = emu.admin("GET", "/_emulator/health")
        if not isinstance(doc, dict) or doc.get("ok") is not True:
            raise Mismatch(f"expected {{\"ok\": true}}, got {doc!r}")
        emu.admin("POST", "/_emulator/clock/offset", {"seconds": 0})
        return None

    r.case("admin: GET /_emulator/health", health)

    # (a) the account's own AccessKey, signature V4 (the SDK default)
    root = oss_client(ep, emu.root_id, emu.root_secret)
    put_get_cases(r, "root-v4", root, root)
    append_cases(r, "root-v4", root, root)
    multipart_case(r, "root-v4", root, root)
    encoded_keys_case(r, "root-v4", root)
    head_case(r, "root-v4", root)
    object_ops_cases(r, "root-v4", root)
    transfer_manager_cases(r, "root-v4", root, root)
    presign_get_case(r, "root-v4", root, root)
    presign_put_case(r, "root-v4", root, root)

    # the same with signature V1 (Config.signature_version = "v1")
    root_v1 = oss_client(ep, emu.root_id, emu.root_secret, signature_version="v1")
    put_get_cases(r, "root-v1", root_v1, root_v1)
    presign_get_case(r, "root-v1", root_v1, root)
    presign_put_case(r, "root-v1", root_v1, root)

    # virtual-hosted addressing (Host: examplebucket.oss-cn-hangzhou.localhost:PORT)
    for version in ("v4", "v1"):
        vhost = oss_client(ep, emu.root_id, emu.root_secret, signature_version=version,
                           virtual_host=True)
        put_get_cases(r, f"root-{version} virtual-hosted", vhost, root)

    # (b) STS credentials from the emulator's AssumeRole, through the official STS SDK
    role_arn = emu.role_arn("RamOssTest", DEMO_ROLE_ARN)
    reader_arn = emu.role_arn("RamOssReader", DEMO_READER_ROLE_ARN)
    uploader_id, uploader_secret = (None, None)
    state: Dict[str, Any] = {}

    def assume_writer() -> str:
        nonlocal uploader_id, uploader_secret
        uploader_id, uploader_secret = emu.user("uploader")
        creds = StsCreds(emu.assume_role(uploader_id, uploader_secret, role_arn, "conformance"))
        state["writer"] = creds
        return check_sts_shape(creds, role_arn, "conformance")

    def assume_reader() -> str:
        creds = StsCreds(emu.assume_role(uploader_id, uploader_secret, reader_arn, "reader"))
        state["reader"] = creds
        return check_sts_shape(creds, reader_arn, "reader")

    r.case("sts: AssumeRole RamOssTest as RAM user uploader (official STS SDK)", assume_writer)
    if uploader_id is not None:
        r.case("sts: AssumeRole RamOssReader as RAM user uploader (official STS SDK)",
               assume_reader)

    writer = state.get("writer")
    reader = state.get("reader")
    if writer is not None:
        sts_w = oss_client(ep, writer.key_id, writer.secret, writer.token)
        sts_r = (oss_client(ep, reader.key_id, reader.secret, reader.token)
                 if reader is not None else root)
        put_get_cases(r, "sts-v4", sts_w, sts_r)
        append_cases(r, "sts-v4", sts_w, root)
        multipart_case(r, "sts-v4", sts_w, root)
        if reader is not None:
            head_case(r, "sts-v4", sts_r)
            transfer_manager_cases(r, "sts-v4", sts_w, sts_r)
        presign_put_case(r, "sts-v4", sts_w, root)
        if reader is not None:
            presign_get_case(r, "sts-v4 (RamOssReader)", sts_r, root)
        if reader is not None:
            object_ops_cases(r, "sts-v4 (RamOssReader)", sts_r, no_read=sts_w, tagging=False)
        sts_w1 = oss_client(ep, writer.key_id, writer.secret, writer.token,
                            signature_version="v1")
        put_get_cases(r, "sts-v1", sts_w1, root)
        if reader is not None:
            presign_get_case(r, "sts-v1 (RamOssReader)", oss_client(
                ep, reader.key_id, reader.secret, reader.token, signature_version="v1"), root)

        probe = f"conformance/{RUN}/sts-v4/put.bin"
        r.case("refuse: GetObject with RamOssTest credentials (role allows only PutObject)",
               lambda: expect_refused(lambda: get_bytes(sts_w, probe), 403, "AccessDenied"))

    # Refusals: a wrong secret
    for version, signer_cls in (("V4", RecordingSignerV4), ("V1", RecordingSignerV1)):
        signer = signer_cls()
        bad = oss_client(ep, emu.root_id, WRONG_SECRET, signature_version=version.lower(),
                         signer=signer)

        def string_to_sign(err: oss_exceptions.ServiceError, signer: Any = signer) -> str:
            fields = err.error_fileds or {}
            if fields.get("StringToSign") != signer.last_string_to_sign:
                shown = fields.get("StringToSign")
                raise Mismatch("body <StringToSign> differs from the SDK's: "
                               f"expected {signer.last_string_to_sign!r}, got {shown!r}")
            return "body <StringToSign> equals the SDK's"

        r.case(f"refuse: wrong secret, {version} header -> SignatureDoesNotMatch",
               lambda bad=bad: expect_refused(lambda: bad.put_object(oss.PutObjectRequest(
                   bucket=BUCKET, key=f"conformance/{RUN}/wrong", body=b"x")),
                   403, "SignatureDoesNotMatch", then=error_shape))
        r.case(f"refuse: SignatureDoesNotMatch ({version}) carries the SDK's string-to-sign",
               lambda bad=bad, check=string_to_sign: expect_refused(
                   lambda: bad.put_object(oss.PutObjectRequest(
                       bucket=BUCKET, key=f"conformance/{RUN}/wrong", body=b"x")),
                   403, "SignatureDoesNotMatch", then=check))

    def wrong_secret_presigned() -> str:
        pre = oss_client(ep, emu.root_id, WRONG_SECRET).presign(
            oss.GetObjectRequest(bucket=BUCKET, key=f"conformance/{RUN}/root-v4/put.bin"))
        status, _, body = http("GET", pre.url)
        code = xml_field(body, "Code")
        if status != 403 or code != "SignatureDoesNotMatch":
            raise Mismatch(f"expected HTTP 403 SignatureDoesNotMatch, got HTTP {status} {code}")
        return f"HTTP {status} {code}"

    r.case("refuse: wrong secret, V4 presigned GET -> SignatureDoesNotMatch",
           wrong_secret_presigned)

    r.case("refuse: unknown AccessKey id -> InvalidAccessKeyId",
           lambda: expect_refused(lambda: oss_client(
               ep, "no-such-key-id", WRONG_SECRET).put_object(oss.PutObjectRequest(
                   bucket=BUCKET, key=f"conformance/{RUN}/unknown", body=b"x")),
               403, "InvalidAccessKeyId"))

    if uploader_id is not None:
        r.case("refuse: AssumeRole signed with a wrong secret -> SignatureDoesNotMatch",
               lambda: sts_refused(lambda: emu.assume_role(
                   uploader_id, WRONG_SECRET, role_arn, "wrong"), "SignatureDoesNotMatch"))
        r.case("refuse: AssumeRole with the root AccessKey -> NoPermission",
               lambda: sts_refused(lambda: emu.assume_role(
                   emu.root_id, emu.root_secret, role_arn, "root"), "NoPermission"))
        r.case("refuse: AssumeRole DurationSeconds 3601 > the role's 3600 -> "
               "InvalidParameter.DurationSeconds",
               lambda: sts_refused(lambda: emu.assume_role(
                   uploader_id, uploader_secret, role_arn, "long", duration=3601),
                   "InvalidParameter.DurationSeconds"))
        r.case("refuse: AssumeRole with a Policy that is not a policy -> "
               "InvalidParameter.PolicyGrammar",
               lambda: sts_refused(lambda: emu.assume_role(
                   uploader_id, uploader_secret, role_arn, "badpolicy",
                   policy='{"Version":"1","Statement":[{"Effect":"Maybe"}]}'),
                   "InvalidParameter.PolicyGrammar"))

    # Refusals: the security token
    if writer is not None:
        key = f"conformance/{RUN}/token/denied.txt"
        r.case("refuse: STS keys without the security token -> InvalidAccessKeyId",
               lambda: expect_refused(lambda: oss_client(ep, writer.key_id, writer.secret)
                                      .put_object(oss.PutObjectRequest(
                                          bucket=BUCKET, key=key, body=b"x")),
                                      403, "InvalidAccessKeyId"))
        tampered = writer.token[:-6] + ("AAAAAA" if not writer.token.endswith("AAAAAA")
                                        else "BBBBBB")
        remember_secret(tampered)
        r.case("refuse: STS keys with a tampered security token -> InvalidSecurityToken",
               lambda: expect_refused(lambda: oss_client(
                   ep, writer.key_id, writer.secret, tampered).put_object(
                   oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"x")),
                   403, "InvalidSecurityToken"))
        middle = len(writer.token) // 2
        flipped = writer.token[:middle] + ("B" if writer.token[middle] != "B" else "C") \
            + writer.token[middle + 1:]
        remember_secret(flipped)
        r.case("refuse: STS keys with one token character changed -> InvalidSecurityToken",
               lambda: expect_refused(lambda: oss_client(
                   ep, writer.key_id, writer.secret, flipped).put_object(
                   oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"x")),
                   403, "InvalidSecurityToken"))

    # Refusals: a session policy narrower than the role's policy
    if uploader_id is not None:
        policy = json.dumps({"Version": "1", "Statement": [{
            "Effect": "Allow", "Action": ["oss:PutObject"],
            "Resource": [f"acs:oss:*:*:{BUCKET}/src/*"]}]})
        scoped: Dict[str, StsCreds] = {}

        def assume_scoped() -> str:
            scoped["c"] = StsCreds(emu.assume_role(
                uploader_id, uploader_secret, role_arn, "scoped", policy=policy))
            c = scoped["c"]
            oss_client(ep, c.key_id, c.secret, c.token).put_object(oss.PutObjectRequest(
                bucket=BUCKET, key=f"src/conformance-{RUN}.txt", body=b"inside"))
            return "PutObject examplebucket/src/... accepted"

        if r.case("sts: session policy allows PutObject on examplebucket/src/*", assume_scoped):
            c = scoped["c"]
            r.case("refuse: PutObject outside the session policy -> AccessDenied",
                   lambda: expect_refused(lambda: oss_client(
                       ep, c.key_id, c.secret, c.token).put_object(oss.PutObjectRequest(
                           bucket=BUCKET, key="other.txt", body=b"outside")),
                       403, "AccessDenied"))

    # Refusals: expiry, by moving the emulator's clock 3700 s forward
    if uploader_id is not None:
        expiring: Dict[str, Any] = {}

        def prepare() -> str:
            c = StsCreds(emu.assume_role(uploader_id, uploader_secret, role_arn, "expiring",
                                         duration=3600))
            expiring["creds"] = c
            key = f"conformance/{RUN}/expiry/object.txt"
            root.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"expiry"))
            expiring["url"] = root.presign(oss.GetObjectRequest(bucket=BUCKET, key=key),
                                           expires=datetime.timedelta(minutes=15)).url
            remember_secret(expiring["url"].split("?", 1)[1])
            before = emu.server_now()
            emu.admin("POST", "/_emulator/clock/advance", {"seconds": 3700})
            after = emu.server_now()
            moved = (after - before).total_seconds()
            if not 3690 <= moved <= 3760:
                raise Mismatch(f"server clock moved {moved:.0f} s, expected about 3700 s")
            expiring["now"] = after
            return f"server clock moved {moved:.0f} s"

        if r.case("clock: POST /_emulator/clock/advance {\"seconds\": 3700}", prepare):
            c = expiring["creds"]
            r.case("refuse: request signed 3700 s behind the server -> RequestTimeTooSkewed",
                   lambda: expect_refused(lambda: root.put_object(oss.PutObjectRequest(
                       bucket=BUCKET, key=f"conformance/{RUN}/expiry/skewed", body=b"x")),
                       403, "RequestTimeTooSkewed", then=lambda err: skew_details(emu, err)))
            r.case("clock: root key signing at the server's time is accepted (control)",
                   lambda: root_synced_put(ep, emu))
            r.case("refuse: expired security token (server clock +3700 s) -> "
                   "SecurityTokenExpired",
                   lambda: expect_refused(lambda: oss_client(
                       ep, c.key_id, c.secret, c.token, signing_time=emu.server_now())
                       .put_object(oss.PutObjectRequest(
                           bucket=BUCKET, key=f"conformance/{RUN}/expiry/late", body=b"x")),
                       403, "SecurityTokenExpired"))
            r.case("refuse: presigned GET past its x-oss-expires -> AccessDenied",
                   lambda: expired_url(expiring["url"]))

        def reset() -> str:
            emu.admin("POST", "/_emulator/clock/offset", {"seconds": 0})
            drift = abs((emu.server_now() - datetime.datetime.now(datetime.timezone.utc))
                        .total_seconds())
            if drift > 60:
                raise Mismatch(f"server clock still {drift:.0f} s off after offset 0")
            c = StsCreds(emu.assume_role(uploader_id, uploader_secret, role_arn, "fresh"))
            oss_client(ep, c.key_id, c.secret, c.token).put_object(oss.PutObjectRequest(
                bucket=BUCKET, key=f"conformance/{RUN}/expiry/fresh", body=b"fresh"))
            return "fresh STS credentials accepted again"

        r.case("clock: POST /_emulator/clock/offset {\"seconds\": 0} resets the clock", reset)

    print(f"{r.passed} passed, {r.failed} failed", flush=True)
    return 1 if r.failed else 0


def error_shape(err: oss_exceptions.ServiceError) -> str:
    """What every OSS error carries: RequestId (= x-oss-request-id), HostId, EC, a Date."""
    fields = err.error_fileds or {}
    headers = err.headers or {}
    missing = [name for name in ("Code", "Message", "RequestId", "HostId", "EC")
               if not fields.get(name)]
    if missing:
        raise Mismatch(f"error XML lacks {', '.join(missing)}")
    if headers.get("x-oss-request-id") != fields.get("RequestId"):
        raise Mismatch("x-oss-request-id header differs from <RequestId>")
    if err.timestamp is None:
        raise Mismatch("no parseable Date header")
    return f"error XML complete, EC {fields.get('EC')}"


def skew_details(emu: Emulator, err: oss_exceptions.ServiceError) -> str:
    """RequestTimeTooSkewed tells the server time in the body and in Date (clients correct
    their clock from Date)."""
    fields = err.error_fileds or {}
    if not fields.get("ServerTime"):
        raise Mismatch("body lacks <ServerTime>")
    if err.timestamp is None:
        raise Mismatch("no parseable Date header")
    off = abs((err.timestamp - emu.server_now()).total_seconds())
    if off > 120:
        raise Mismatch(f"Date header is {off:.0f} s away from the server's clock")
    return "body has <ServerTime>, Date is the server's time"


def root_synced_put(ep: str, emu: Emulator) -> str:
    client = oss_client(ep, emu.root_id, emu.root_secret, signing_time=emu.server_now())
    client.put_object(oss.PutObjectRequest(
        bucket=BUCKET, key=f"conformance/{RUN}/expiry/synced", body=b"synced"))
    return "accepted"


def expired_url(url: str) -> str:
    status, _, body = http("GET", url)
    code = xml_field(body, "Code")
    if status != 403 or code != "AccessDenied":
        raise Mismatch(f"expected HTTP 403 AccessDenied, got HTTP {status} {code}")
    return f"HTTP {status} {code}: {xml_field(body, 'Message')}"


if __name__ == "__main__":
    sys.exit(main())
