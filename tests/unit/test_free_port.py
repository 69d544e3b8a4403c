"""Ports for servers the product and the tests start: free, distinct, and never in the kernel's ephemeral range,
where an outgoing connection's source port can take one before the server binds it."""

from __future__ import annotations

import socket

from streams.kafka.broker import LOWEST_PORT, _ephemeral_low, free_port


def test_server_ports_are_free_distinct_and_below_the_ephemeral_range() -> None:
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(LOWEST_PORT <= port < _ephemeral_low() for port in ports), ports
    for port in ports[:5]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # still free: nothing kept it
