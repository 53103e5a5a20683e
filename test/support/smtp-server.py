"""A real SMTP server for tests (aiosmtpd, installed by tools/aiosmtpd.sh), started by test/support/smtp-server.ts.

Listens on a free loopback port and prints one JSON line, {"port": N}, once it accepts connections. Writes every
message it accepts as <out>/<n>.json (envelope, data, whether the session was TLS, the AUTH mechanism and login)
and appends one line per MAIL FROM and AUTH attempt to <out>/events.jsonl, so a test can show that nothing was
sent in clear. Options:
  --tls starttls|implicit|none   offer STARTTLS (and require it before MAIL), TLS from the first byte, or no TLS
  --cert/--key PEM files         the server's certificate and key (starttls, implicit)
  --auth user:password           offer AUTH PLAIN and LOGIN (after TLS only) and require it
  --auth-only MECHANISM          offer only this AUTH mechanism (PLAIN or LOGIN)
  --defer ADDRESS                answer RCPT TO:<ADDRESS> with 451 (transient)
  --reject ADDRESS               answer RCPT TO:<ADDRESS> with 550 (permanent)
"""

import argparse
import asyncio
import json
import os
import socket
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--tls", choices=["starttls", "implicit", "none"], default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--auth")
    p.add_argument("--auth-only", choices=["PLAIN", "LOGIN"])
    p.add_argument("--defer", action="append", default=[])
    p.add_argument("--reject", action="append", default=[])
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)

    def event(**fields) -> None:
        with open(os.path.join(args.out, "events.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(fields) + "\n")

    def is_tls(server: SMTP) -> bool:
        return server.transport is not None and server.transport.get_extra_info("ssl_object") is not None

    class Handler:
        count = 0

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            event(kind="mail", sender=address, tls=is_tls(server))
            envelope.mail_from = address
            envelope.mail_options.extend(mail_options)
            return "250 OK"

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in args.defer:
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            if address in args.reject:
                return "550 5.1.1 No such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            Handler.count += 1
            auth = getattr(session, "tp_auth", None)
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
                "tls": is_tls(server),
                "auth": auth,
                "ehlo": session.host_name,
            }
            path = os.path.join(args.out, f"{Handler.count:04d}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record, f)
            os.replace(path + ".tmp", path)  # a reader never sees half a file
            return "250 Message accepted for delivery"

    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            event(kind="auth", mechanism=mechanism, ok=ok, tls=is_tls(server))
            if ok:
                session.tp_auth = {"mechanism": mechanism, "login": user}
            # handled=False: aiosmtpd answers the failure itself (535); True would leave the client waiting.
            return AuthResult(success=ok, handled=ok)

    context = None
    if args.tls != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)

    def factory() -> SMTP:
        return SMTP(
            Handler(),
            hostname="smtp.test",
            tls_context=context if args.tls == "starttls" else None,
            require_starttls=args.tls == "starttls",
            authenticator=authenticator,
            auth_required=authenticator is not None,
            # Plain-text AUTH only inside TLS; with implicit TLS the session is TLS from the start.
            auth_require_tls=args.tls == "starttls",
            auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if args.auth_only not in (None, m)],
        )

    async def serve() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        server = await asyncio.get_running_loop().create_server(
            factory, sock=sock, ssl=context if args.tls == "implicit" else None
        )
        print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
