"""`python -m evidence.cli.localtsa DIR`: a throwaway RFC 3161 TSA on 127.0.0.1 for the demo.

Writes DIR/tsa-ca.pem (what verifiers trust) and DIR/tsa.pem, prints the URL on one line and
serves until killed. Never an authority: its keys live in memory and die with it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from evidence.timestamp.localtsa import LocalTsa, TsaIdentity


def main(argv: list[str] | None = None) -> None:
    """Start the TSA, print its URL, serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m evidence.cli.localtsa", description=__doc__)
    parser.add_argument("directory", type=Path, help="where tsa-ca.pem and tsa.pem are written")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any)")
    args = parser.parse_args(argv)
    identity = TsaIdentity.create("Custody demo TSA")
    identity.write(args.directory)
    server = LocalTsa(identity, args.port)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(server.url, flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
