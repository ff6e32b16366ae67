#!/usr/bin/python3
"""SMTP sink for the email notifier tests: Debian's python3-aiosmtpd on loopback.

Listens on 127.0.0.1 on a port the kernel picks, writes that port to PORT_FILE once it accepts
connections, and records every message it accepts into DIR as NNNNNN.eml (the DATA as received)
with NNNNNN.json next to it ({"from", "to", "login"}), each written to a temporary name first and
renamed, so a reader never sees half a message. With --auth USER:PASSWORD it requires AUTH
(PLAIN or LOGIN, over plain text: loopback only) and refuses other credentials with 535.
"""
import argparse
import asyncio
import json
import os
import signal
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def _write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = "%06d" % self.count
        login = session.auth_data if session.authenticated and isinstance(session.auth_data, str) else ""
        meta = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "login": login}
        content = envelope.original_content if envelope.original_content is not None else envelope.content
        # The message first, the metadata last: the .json says the .eml is complete.
        self._write(stem + ".eml", content)
        self._write(stem + ".json", json.dumps(meta).encode())
        return "250 OK"


def authenticator_for(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
                auth_data.password.decode() == password:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)
    return check


async def main():
    warnings.simplefilter("ignore")  # "AUTH without TLS": loopback test sink, on purpose
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--auth", default="")
    a = p.parse_args()
    recorder = Recorder(a.dir)
    kwargs = {}
    if a.auth:
        user, _, password = a.auth.partition(":")
        kwargs = dict(authenticator=authenticator_for(user, password), auth_required=True,
                      auth_require_tls=False)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(recorder, hostname="warren-test-sink", **kwargs),
                                      host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, a.port_file)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
