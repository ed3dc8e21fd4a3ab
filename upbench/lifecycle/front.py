"""A buffering proxy in front of a target (`Target.front`): nginx, started as a real process
with a generated config on a free 127.0.0.1 port, in its own process group.

nginx reads the whole request body (into memory, or a temporary file past 16 KB) before it
opens the upstream request — `proxy_request_buffering on`, its default — so the server behind
it receives the body at loopback speed whatever the client's pace. That is why gunicorn's docs
tell sync-worker users to put it in front. Bodies over the limit get nginx's 413 in the
contract's JSON shape; `/health` and `/uploads/<id>` pass through. A path that climbs above
the root (`/uploads/..%2F..`) never reaches the app: nginx refuses it itself (400, its HTML; an
error page cannot be set for a request line it cannot parse).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from upbench.lifecycle import processes
from upbench.lifecycle.ports import free_port
from upbench.lifecycle.processes import StartError, wait_for

NGINX_PATHS = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")

CONFIG = """
daemon off;
master_process on;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size {limit};
    proxy_request_buffering on;
    proxy_http_version 1.1;
    upstream app {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        error_page 413 = @too_large;
        location / {{
            proxy_pass http://app;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_read_timeout 300s;
        }}
        location @too_large {{
            default_type application/json;
            return 413 '{{"error": "upload larger than the limit of {limit} bytes"}}';
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    found = shutil.which("nginx")
    return found or next((p for p in NGINX_PATHS if Path(p).is_file()), None)


def start_nginx(upstream: int, max_upload: int, log: Path, stack: ExitStack,
                ready: Callable[[str], bool], cpus=None) -> tuple[list, str]:
    """Start nginx proxying to 127.0.0.1:`upstream` (its files in a temporary folder, removed
    when it stops); returns (its processes, its URL) once `ready(url)`."""
    binary = nginx_binary()
    if binary is None:
        raise StartError("nginx is not installed (apt-get install nginx-light): the buffering "
                         "proxy arm cannot run")
    root = Path(tempfile.mkdtemp(prefix="upbench-nginx-"))
    stack.callback(shutil.rmtree, root, ignore_errors=True)
    root.chmod(0o755)  # nginx's workers may run as another user (root starts them as nobody)
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(CONFIG.format(root=root, limit=max_upload, upstream=upstream, port=port))
    proc = processes.start([binary, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log")],
                           log=log, cpus=cpus)
    stack.callback(processes.stop, proc)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: ready(url), proc, log, "nginx")
    return [proc], url
