"""Web plumbing of the maps: where assets and tiles come from, and conditional GET for the map data
(ETag → 304 without building the body), caching headers, and gzip for clients that accept it."""
import gzip

from flask import Response, current_app, request, url_for

from app.services.maps import Assets

GZIP_LEVEL = 5  # close to level 9's size at well under half its time on these payloads


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
        body = build()
        response = Response(body, mimetype=mimetype)
        if compress:
            response.set_data(gzip.compress(body, GZIP_LEVEL))
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
