"""The SMTP notification transport against a real (minimal) SMTP server on 127.0.0.1."""
from __future__ import annotations

import socket
import socketserver
import threading
from email import message_from_bytes
from email.header import decode_header, make_header

from engine.connectors.transports import Notification, SmtpTransport, transport_from_env


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) to receive one message per connection."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        data_mode, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line in (b".\r\n", b".\n"):
                    self.server.received.append(b"".join(lines))
                    data_mode, lines = False, []
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 test\r\n")
            elif verb == b"DATA":
                data_mode = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.server.commands.append(line.decode().strip())
                self.wfile.write(b"250 ok\r\n")


def test_smtp__sends_the_notification_with_its_idempotency_key(monkeypatch):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received, server.commands = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        monkeypatch.setenv("DIWAN_NOTIFY_TRANSPORT", "smtp")
        monkeypatch.setenv("DIWAN_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("DIWAN_SMTP_PORT", str(port))
        monkeypatch.setenv("DIWAN_SMTP_FROM", "ne-pas-repondre@mre.gov.ma")
        transport = transport_from_env()
        assert isinstance(transport, SmtpTransport)
        transport.send(Notification("0f1e2d", "fatima@example.org", "Votre réclamation REC-2026-0001",
                                    "Bonjour, votre réclamation a été enregistrée.", "inst-1"))
        [raw] = server.received
        message = message_from_bytes(raw)
        assert message["To"] == "fatima@example.org" and message["From"] == "ne-pas-repondre@mre.gov.ma"
        assert message["Message-ID"] == "<0f1e2d@diwan>"
        assert str(make_header(decode_header(message["Subject"]))) == "Votre réclamation REC-2026-0001"
        assert "réclamation a été enregistrée" in message.get_payload(decode=True).decode("utf-8")
        assert server.commands[0].upper().startswith("MAIL FROM:<NE-PAS-REPONDRE@MRE.GOV.MA>")
    finally:
        server.shutdown()
        server.server_close()


def test_smtp__unreachable_server_raises_so_the_outbox_retries(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = SmtpTransport("127.0.0.1", port, timeout=2)
    try:
        transport.send(Notification("k", "a@example.org", "s", "b", "i"))
    except OSError:
        return
    raise AssertionError("sending to a closed port must raise")
