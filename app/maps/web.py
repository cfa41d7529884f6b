"""Web plumbing of the maps: where assets and tiles come from, and conditional GET for the map data
(ETag → 304 without building the body), caching headers, gzip for clients that accept it, and a small
per-process cache of recently built bodies by entity tag."""
import gzip
import threading
from collections import OrderedDict

from flask import Response, current_app, request, url_for

from app.services.maps import Assets

GZIP_LEVEL = 6
CACHE_BYTES = 64 * 1024 * 1024  # per worker process; MAP_CACHE_BYTES in the config overrides it
CACHE_MIN_BYTES = 32 * 1024  # built bodies smaller than this are cheaper to rebuild than to keep


class BodyCache:
    """Bodies by entity tag, least recently used dropped first, bounded in bytes. The tag changes with the
    data, so an entry is never stale: at worst it is unused and ages out. Safe across threads."""

    def __init__(self):
        self._items, self._bytes, self._lock = OrderedDict(), 0, threading.Lock()

    def get(self, key):
        """The body stored under `key`, or None."""
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key, body, limit):
        """Keep `body` under `key`, then drop the oldest entries until at most `limit` bytes are held."""
        with self._lock:
            if key in self._items:
                return
            self._items[key] = body
            self._bytes += len(body)
            while self._bytes > limit and self._items:
                self._bytes -= len(self._items.popitem(last=False)[1])

    def clear(self):
        """Forget everything (benchmarks measure the build)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


bodies = BodyCache()


def assets():
    """The app's static files and the configured tile server, for folium maps."""
    config = current_app.config
    return Assets(lambda path: url_for("static", filename=path), config["TILE_URL"], config["TILE_ATTRIBUTION"])


def conditional(version, build, mimetype, max_age, private=False):
    """A response for data whose current `version` is known before `build()` makes its body (bytes).

    The gzip variant carries its own entity tag ("<version>-gz"), as a compressed body is a different
    representation; either matches If-None-Match.
    """
    compress = "gzip" in request.accept_encodings
    etag = f"{version}-gz" if compress else version
    if request.if_none_match.contains(version) or request.if_none_match.contains(f"{version}-gz"):
        response = Response(status=304)
    else:
        body = bodies.get(etag)
        if body is None:
            body = build()
            worth_keeping = len(body) >= CACHE_MIN_BYTES
            if compress:
                body = gzip.compress(body, GZIP_LEVEL)
            if worth_keeping:
                bodies.put(etag, body, current_app.config.get("MAP_CACHE_BYTES", CACHE_BYTES))
        response = Response(body, mimetype=mimetype)
        if compress:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.vary.add("Accept-Encoding")
    response.cache_control.max_age = max_age
    # After max_age the client revalidates, which the ETag makes a cheap 304.
    if private:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response
