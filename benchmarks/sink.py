"""A plain WSGI sink: reads the request body and throws it away (GET answers too, for the
readiness check). The server side of benchmarks/wrk_compare.py."""


def app(environ, start_response):
    stream = environ["wsgi.input"]
    while stream.read(1 << 20):
        pass
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
