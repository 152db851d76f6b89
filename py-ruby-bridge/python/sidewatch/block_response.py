"""The answer to a blocked request: 403 with a short JSON body naming the attack class."""
import json

STATUS = '403 Forbidden'


def body(request):
    error = request.block_error
    klass = getattr(error, 'attack_class', 'attack')
    return json.dumps({'error': 'blocked by sidewatch', 'class': klass, 'request_id': request.id}).encode('utf-8')


def headers(payload):
    return [('Content-Type', 'application/json'), ('Content-Length', str(len(payload)))]
