#!/usr/bin/python3
"""SMTP sink for the email notifier tests: Debian's python3-aiosmtpd on loopback.

Listens on 127.0.0.1 on a port the kernel picks, writes that port to PORT_FILE once it accepts
connections, and records every message it accepts into DIR as NNNNNN.eml (the DATA as received)
with NNNNNN.json next to it ({"from", "to", "login", "mechanism", "tls"}), each written to a temporary name first and
renamed, so a reader never sees half a message. With --auth USER:PASSWORD it requires AUTH
(PLAIN, LOGIN or CRAM-MD5; over plain text unless --starttls: loopback only) and refuses other
credentials with 535; the .json then also names the mechanism used. With --starttls CERT KEY it
offers STARTTLS with that certificate and refuses every mail command (530) until the client has
upgraded; the .json's "tls" says whether the message came over TLS.
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import os
import signal
import ssl
import warnings

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword


class Recorder:
    def __init__(self, directory, user=None, password=None):
        self.directory = directory
        self.count = 0
        self.user = user
        self.password = password
        self.challenges = 0

    def _write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        stem = "%06d" % self.count
        auth = session.auth_data if session.authenticated and isinstance(session.auth_data, dict) else {}
        meta = {"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "login": auth.get("login", ""),
                "mechanism": auth.get("mechanism", ""), "tls": server._tls_protocol is not None}
        content = envelope.original_content if envelope.original_content is not None else envelope.content
        # The message first, the metadata last: the .json says the .eml is complete.
        self._write(stem + ".eml", content)
        self._write(stem + ".json", json.dumps(meta).encode())
        return "250 OK"

    # AUTH CRAM-MD5 (RFC 2195): aiosmtpd offers every handler method named auth_<MECH> ("__" -> "-").
    # The client answers the challenge with "USER HEX(HMAC-MD5(PASSWORD, CHALLENGE))".
    async def auth_CRAM__MD5(self, server, args):
        if len(args) != 1:
            await server.push("501 5.5.4 CRAM-MD5 takes no initial response")
            return AuthResult(success=False, handled=True)
        self.challenges += 1
        challenge = ("<%d.%d@warren-test-sink>" % (os.getpid(), self.challenges)).encode()
        response = await server.challenge_auth(challenge)
        if response is MISSING:  # "*" or bad base64: challenge_auth has answered 501
            return AuthResult(success=False, handled=True)
        user, _, digest = response.decode(errors="replace").rpartition(" ")
        if self.user is not None and user == self.user:
            expected = hmac.new(self.password.encode(), challenge, hashlib.md5).hexdigest()
            if hmac.compare_digest(digest.lower(), expected):
                return AuthResult(success=True, auth_data={"login": user, "mechanism": "CRAM-MD5"})
        return AuthResult(success=False, handled=False)


def authenticator_for(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and \
                auth_data.password.decode() == password:
            return AuthResult(success=True, auth_data={"login": user, "mechanism": mechanism})
        return AuthResult(success=False, handled=False)
    return check


async def main():
    warnings.simplefilter("ignore")  # "AUTH without TLS": loopback test sink, on purpose
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--auth", default="")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    a = p.parse_args()
    kwargs = {}
    user = password = None
    if a.auth:
        user, _, password = a.auth.partition(":")
        kwargs = dict(authenticator=authenticator_for(user, password), auth_required=True,
                      auth_require_tls=bool(a.starttls))
    if a.starttls:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.starttls[0], a.starttls[1])
        kwargs.update(tls_context=tls, require_starttls=True)
    recorder = Recorder(a.dir, user, password)
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
