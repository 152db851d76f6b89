"""Flask's route template (`/users/<id>`) for http.request and the summary rows. Flask clears
`environ['werkzeug.request']` before its wsgi_app returns, so the WSGI middleware cannot read the
route afterwards: when the wrapped app is a Flask app (or its bound wsgi_app), a teardown_request
function notes the route and the route parameters on the current request while Flask still has them."""
from .request_context import current_request
from .warn import internal_error


def flask_app_of(app):
    """The Flask application behind a WSGI callable, or None."""
    for candidate in (app, getattr(app, '__self__', None)):
        if candidate is not None and hasattr(candidate, 'teardown_request') and hasattr(candidate, 'url_map'):
            return candidate
    return None


def watch_routes(flask_app):
    """Registers the teardown once per Flask app (before its first request, as Flask requires)."""
    if getattr(flask_app, '_sidewatch_routes', False):
        return
    try:
        flask_app.teardown_request(_note_route)
        flask_app._sidewatch_routes = True
    except Exception as err:  # the app already served requests: routes stay unknown
        internal_error('watching Flask routes', err)


def _note_route(exc=None):
    ctx = current_request()
    if ctx is None:
        return
    try:
        rule = _flask_request().url_rule
        if rule is not None:
            ctx.set_route(rule.rule)
    except Exception as err:
        internal_error('reading the Flask route', err)


_request_proxy = []


def _flask_request():
    if not _request_proxy:
        from flask import request
        _request_proxy.append(request)
    return _request_proxy[0]
