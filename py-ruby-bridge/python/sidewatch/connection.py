"""One socket to the agent, used by the reporter thread only: connect with a deadline, write
frames, read whatever frames have arrived. Raises OSError or ProtocolError; the reporter turns
both into a reconnect."""
import select
import socket
import time

from .codec import decode_frame
from .frame_decoder import FrameDecoder


class Connection(object):
    def __init__(self, address, timeout_s):
        if address.kind == 'unix':
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout_s)
            try:
                sock.connect(address.path)
            except BaseException:
                sock.close()
                raise
        else:
            sock = socket.create_connection((address.host, address.port), timeout_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self.sock = sock
        self._decoder = FrameDecoder()
        self.closed = False

    def fileno(self):
        return self.sock.fileno()

    def send(self, frame, deadline_s=10.0):
        """Writes the whole frame, waiting for the socket at most `deadline_s` in all."""
        view = memoryview(frame)
        end = time.monotonic() + deadline_s
        self.sock.setblocking(False)
        while view:
            try:
                n = self.sock.send(view)
                view = view[n:]
            except (BlockingIOError, InterruptedError):
                left = end - time.monotonic()
                if left <= 0:
                    raise socket.timeout('agent did not take a frame within %.1f s' % deadline_s)
                select.select([], [self.sock], [], left)

    def receive(self):
        """The messages that arrived (reads once, without waiting). Raises ConnectionError at end of stream."""
        self.sock.setblocking(False)
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return []
        if not data:
            self._decoder.end()
            raise ConnectionResetError('agent closed the connection')
        return [decode_frame(frame) for frame in self._decoder.push(data)]

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass
