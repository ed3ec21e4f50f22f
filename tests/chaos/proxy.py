"""A small TCP proxy on loopback between the services and NATS or PostgreSQL, which the fault
schedule turns bad for a while: ``latency`` (every chunk delayed), ``blackhole`` (bytes are
swallowed, connections hang), ``reset`` (every open connection closed with a TCP RST, new ones
refused with one).

Given several upstream ports (the replicas of one service), it also stands in for what spreads
connections over replicas in production (a Kubernetes Service, Compose's DNS): each new
connection goes to the next replica in turn, and one that refuses (a dead replica) is skipped."""

import asyncio
import contextlib
import socket
import struct

CHUNK = 65536


class FaultyProxy:
    def __init__(self, name: str, *upstream_ports: int) -> None:
        if not upstream_ports:
            raise ValueError("a proxy needs at least one upstream port")
        self.name = name
        self.upstream_ports = upstream_ports
        self._next = 0  # the replica the next connection tries first
        self.connections_to: dict[int, int] = dict.fromkeys(upstream_ports, 0)
        self.port = 0
        self.mode = "pass"
        self.latency = 0.0
        self._flowing = asyncio.Event()  # cleared while the proxy blackholes
        self._flowing.set()
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()

    async def start(self) -> "FaultyProxy":
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        if self._server:
            self._server.close()
        self.reset_all()

    def set(self, mode: str, latency: float = 0.0) -> None:
        self.mode, self.latency = mode, latency
        if mode == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        if mode == "reset":
            self.reset_all()

    def reset_all(self) -> None:
        for pair in list(self._connections):
            for writer in pair:
                _reset(writer)
        self._connections.clear()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.mode == "reset":
            _reset(client_w)
            return
        upstream = await self._connect()
        if upstream is None:
            _reset(client_w)
            return
        up_r, up_w = upstream
        pair = (client_w, up_w)
        self._connections.add(pair)
        try:
            await asyncio.gather(self._pipe(client_r, up_w), self._pipe(up_r, client_w))
        finally:
            self._connections.discard(pair)
            for writer in pair:
                writer.close()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """A connection to the next upstream in turn that accepts one; None if none does."""
        first = self._next
        self._next = (self._next + 1) % len(self.upstream_ports)
        for i in range(len(self.upstream_ports)):
            port = self.upstream_ports[(first + i) % len(self.upstream_ports)]
            try:
                connection = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections_to[port] += 1
            return connection
        return None

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                await self._flowing.wait()  # blackholed: the peer waits, as on a dead link
                if self.mode == "latency" and self.latency:
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST rather than a FIN (SO_LINGER 0), as a broken network path would."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()
