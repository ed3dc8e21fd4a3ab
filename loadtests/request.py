"""How anyone's endpoint wants its uploads, in curl's words: `--field`, `--form k=v`,
`--header 'K: V'`, credentials in the URL (basic auth), `--method`, `--body multipart|raw`,
`--expect`, `--insecure`, `--cacert`; real files and names (`--file`, `--content-type`,
`--filename`), `--expect-continue`, `--chunked`; and how the bytes travel (`transfer`): in the
request itself, through a ticket from the app (`--presign`, loadtests/presign.py), or as an S3
multipart upload (`--multipart-part-size`, loadtests/s3multipart.py).

One frozen record, parsed once at the CLI boundary and handed to the load generator as JSON in
its environment (`UPBENCH_REQUEST`), so secrets never show in a command line. Whatever is
written out (results.json, the report, logs) goes through `public()`, `mask_url()` or
`mask_argv()` first: credentials and secret-looking headers, form fields and query parameters
become `***`.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
from dataclasses import asdict, dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from loadtests.http import is_2xx, tls_context
from loadtests.units import parse_size

MASK = "***"
METHODS = ("POST", "PUT")
BODIES = ("multipart", "raw")
TUS_RETRY_DELAYS = (0.0, 1.0, 3.0, 5.0)  # tus-js-client's default retryDelays (seconds)
# A header, form field or query parameter whose name holds one of these is a secret.
_SECRET_WORDS = ("auth", "token", "secret", "key", "cookie", "session", "password", "passwd",
                 "signature", "credential", "csrf", "xsrf", "jwt", "bearer", "sig")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_COMPUTED = {"content-length", "transfer-encoding", "host", "connection"}
TRANSFERS = ("direct", "presign", "s3-multipart")
CONTINUE_WAIT_S = 1.0    # curl's wait for 100 Continue before it sends the body anyway
CHUNK_DEFAULT = 64 * 1024
PLACEHOLDERS = ("{n}", "{uuid}", "{name}")
TICKET_KEYS = ("url", "method", "headers", "fields", "id", "complete")


def is_secret(name: str) -> bool:
    name = name.lower()
    return any(word in name for word in _SECRET_WORDS)


@dataclass(frozen=True)
class RequestSpec:
    field: str = "file"
    form: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "POST"
    body: str = "multipart"
    expect: tuple[int, ...] = ()         # () = any 2xx
    username: str | None = None          # from the URL's user:password@
    password: str | None = None
    insecure: bool = False               # accept any TLS certificate (self-signed)
    cacert: str | None = None            # CA bundle to verify the server with
    files: tuple[str, ...] = ()          # --file: these bytes, in turn, instead of random ones
    content_type: str | None = None      # the file part's (multipart) or the body's (raw) type
    filename: str | None = None          # template: {n}, {uuid}, {name}
    expect_continue: bool = False        # Expect: 100-continue, wait for 100 before the body
    chunked: int = 0                     # Transfer-Encoding: chunked in pieces of this size
    transfer: str = "direct"             # direct | presign | s3-multipart
    ticket_map: tuple[tuple[str, str], ...] = ()  # presign: ticket key -> JSON pointer
    part_size: int = 0                   # s3-multipart: bytes per part
    part_concurrency: int = 4            # s3-multipart: parts in flight per upload

    @property
    def raw(self) -> bool:
        return self.body == "raw"

    def success(self, status: int) -> bool:
        return status in self.expect if self.expect else is_2xx(status)

    def request_headers(self) -> dict[str, str]:
        """The user's headers, plus basic auth from the URL's credentials."""
        headers = dict(self.headers)
        if self.username is not None:
            pair = f"{self.username}:{self.password or ''}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def tls_context(self) -> ssl.SSLContext:
        return tls_context(self.insecure, self.cacert)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RequestSpec:
        if not text or text == "{}":
            return cls()
        data = json.loads(text)
        for name in ("form", "headers", "ticket_map"):
            data[name] = tuple(tuple(pair) for pair in data.get(name, ()))
        data["expect"] = tuple(data.get("expect", ()))
        data["files"] = tuple(data.get("files", ()))
        return cls(**data)

    @property
    def continue_wait(self) -> float:
        return CONTINUE_WAIT_S if self.expect_continue else 0.0

    def public(self) -> dict:
        """For results.json and the report: secrets masked, credentials never written."""
        d = asdict(self)
        d["headers"] = [[k, MASK if is_secret(k) else v] for k, v in self.headers]
        d["form"] = [[k, MASK if is_secret(k) else v] for k, v in self.form]
        d["password"] = MASK if self.password is not None else None
        d["username"] = self.username
        d["expect"] = list(self.expect)
        d["files"] = list(self.files)
        d["ticket_map"] = [list(pair) for pair in self.ticket_map]
        return d


# --- parsing at the CLI boundary (ValueError with a readable reason) -----------------------------

def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> ('Name', 'value')."""
    name, sep, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not sep or not _TOKEN.match(name) or "\r" in value or "\n" in value:
        raise ValueError(f"expected 'Name: value', got {text!r}")
    if name.lower() in _COMPUTED:
        raise ValueError(f"{name} is set by the client itself, got {text!r}")
    return name, value


def parse_field(text: str) -> str:
    """A form field name for the file (`--field`)."""
    if not text or any(c in text for c in '"\r\n'):
        raise ValueError(f"expected a form field name, got {text!r}")
    return text


def parse_file(text: str) -> str:
    """`--file PATH`: a readable, non-empty file; its absolute path (Locust runs elsewhere)."""
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ValueError(f"--file {text}: not a readable file")
    if os.path.getsize(path) == 0:
        raise ValueError(f"--file {text}: the file is empty")
    return path


def parse_content_type(text: str) -> str:
    """`--content-type TYPE`: a media type such as image/jpeg (parameters allowed)."""
    kind = text.split(";")[0].strip()
    if not re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+$", kind) or \
            any(c in text for c in "\r\n"):
        raise ValueError(f"expected a media type such as image/jpeg, got {text!r}")
    return text.strip()


def parse_filename(text: str) -> str:
    """`--filename TEMPLATE`: {n} (a number unique to each upload of the run), {uuid}, {name}
    (the --file's own name); nothing that would break a header or a path."""
    probe = text
    for placeholder in PLACEHOLDERS:
        probe = probe.replace(placeholder, "x")
    if not probe or any(c in probe for c in '"/\\\r\n{}'):
        raise ValueError(f"expected a file name with {{n}}, {{uuid}} or {{name}}, got {text!r}")
    return text


def parse_chunk(text: str) -> int:
    """`--chunked [SIZE]`: the piece size (default 64KB)."""
    size = parse_size(text) if text else CHUNK_DEFAULT
    if size < 1:
        raise ValueError(f"--chunked needs a positive size, got {text!r}")
    return size


def parse_ticket_map(text: str) -> tuple[str, str]:
    """`--presign-map KEY=/json/pointer`: where another shape of ticket keeps KEY."""
    key, sep, pointer = text.partition("=")
    if not sep or key not in TICKET_KEYS or not (pointer == "" or pointer.startswith("/")):
        raise ValueError(f"expected KEY=/json/pointer with KEY one of {', '.join(TICKET_KEYS)}, "
                         f"got {text!r}")
    return key, pointer


def parse_cacert(text: str) -> str:
    """A CA bundle (PEM) that loads: checked here, not at the first connection."""
    try:
        ssl.create_default_context(cafile=text)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc
        raise ValueError(f"cannot use {text!r} as a CA bundle: {reason}")
    return text


def parse_form(text: str) -> tuple[str, str]:
    """'key=value' -> ('key', 'value'): a form field sent before the file."""
    key, sep, value = text.partition("=")
    if not sep or not key or any(c in key for c in '"\r\n') or "\r" in value or "\n" in value:
        raise ValueError(f"expected key=value, got {text!r}")
    return key, value


def parse_expect(text: str) -> tuple[int, ...]:
    """'201,204' -> (201, 204): the 2xx answers that count as success."""
    codes = []
    for part in (p.strip() for p in text.split(",")):
        if not (part.isdigit() and 200 <= int(part) <= 299):
            raise ValueError(f"expected 2xx status codes such as 201,204, got {text!r}")
        codes.append(int(part))
    return tuple(codes)


def parse_delays(text: str) -> tuple[float, ...]:
    """'0,1,3,5' -> (0.0, 1.0, 3.0, 5.0) seconds; '' = never retry."""
    try:
        delays = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise ValueError(f"expected seconds such as 0,1,3,5, got {text!r}")
    if any(d < 0 for d in delays):
        raise ValueError(f"delays must not be negative, got {text!r}")
    return delays


def parse_url(text: str) -> str:
    """An http:// or https:// URL with a host."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL, got {text!r}")
    return text


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """'https://u:p@h/x' -> ('https://h/x', 'u', 'p'): basic auth, URL-decoded like curl."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return (urlunsplit(parts._replace(netloc=host)), unquote(user),
            unquote(password) if ":" in userinfo else None)


# --- masking ------------------------------------------------------------------------------------

def mask_url(url: str | None) -> str | None:
    """Credentials and secret-looking query parameters (a presigned URL's signature) masked."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.partition(':')[0]}:{MASK}@{host}"
    query = urlencode([(k, MASK if is_secret(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*{}", quote_via=quote)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def mask_argv(argv: list[str]) -> list[str]:
    """A command line as it may be written out: --url, --header and --form values masked."""
    maskers = {"--url": mask_url, "--status-url": mask_url, "--presign": mask_url,
               "--header": _mask_pair(parse_header, ": "), "--form": _mask_pair(parse_form, "=")}
    out, pending = [], None
    for arg in argv:
        if pending:
            out.append(pending(arg))
            pending = None
            continue
        flag, eq, value = arg.partition("=")
        if flag in maskers and eq:
            out.append(f"{flag}={maskers[flag](value)}")
        else:
            out.append(arg)
            pending = maskers.get(arg)
    return out


def _mask_pair(parse, sep: str):
    def mask(text: str) -> str:
        try:
            name, value = parse(text)
        except ValueError:
            return MASK  # malformed: never echoed as given
        return f"{name}{sep}{MASK if is_secret(name) else value}"
    return mask
