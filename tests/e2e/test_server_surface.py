"""`smartpdu run` serves the native API and Redfish side by side on one port."""

from __future__ import annotations

import socket

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_native_api_and_redfish_on_one_server(server) -> None:  # type: ignore[no-untyped-def]
    server.start()
    base = server.url
    assert httpx.get(f"{base}/api/v1/health").status_code == 200
    assert httpx.get(f"{base}/api/v1/pdus").status_code == 401
    assert httpx.get(f"{base}/redfish").status_code == 200
    root = httpx.get(f"{base}/redfish/v1")
    assert root.status_code == 200 and root.json()["@odata.id"] in ("/redfish/v1", "/redfish/v1/")
    assert httpx.get(f"{base}/redfish/v1/PowerEquipment").status_code == 401
    basic = ("admin", server.admin_password)
    outlet = httpx.get(f"{base}/redfish/v1/PowerEquipment/RackPDUs/pdu-a/Outlets/7", auth=basic)
    assert outlet.status_code == 200 and outlet.json()["Id"] == "7"
    with server.client() as c:
        native = c.get("/api/v1/pdus/pdu-a/outlets/7").json()
    assert (native["state"] == "on") == (outlet.json()["PowerState"] == "On")


def test_listening_socket_is_tcp_with_nodelay_capable_protocol() -> None:
    """Responses must not wait for delayed ACKs: asyncio sets TCP_NODELAY only on sockets
    created with IPPROTO_TCP, which is what bind_socket does."""
    from smartpdu.app.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_sigterm_flushes_and_records_the_stop(server) -> None:  # type: ignore[no-untyped-def]
    from smartpdu.storage import open_store

    server.start()
    with server.client() as c:
        e_live = c.get("/api/v1/pdus/pdu-a").json()["inlet"]["energy_wh"]
    server.stop()  # SIGTERM
    assert server.proc.returncode == 0, server.log.read_text()
    store = open_store(server.db_url)
    try:
        last = store.last_event("pdu-a")
        assert last is not None and last.event_code == "SYSTEM_STOP"
        # the final signed checkpoint covers the stop event itself
        assert store.checkpoints("pdu-a")[-1].sequence_id == last.sequence_id
        bank = [s for s in store.load_energy("pdu-a") if s.channel == "inlet"]
        # REST shows the register rounded to the catalogue's 1 mWh, so it may read up to 0.5 mWh
        # above the exact register stored before that moment
        assert bank and bank[0].registers["active_import_wh"] >= e_live - 0.0005
    finally:
        store.close()
