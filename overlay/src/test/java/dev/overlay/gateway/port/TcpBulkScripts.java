package dev.overlay.gateway.port;

/**
 * The two ends of the tests' checksummed bulk transfer over real TCP, as Python run in a
 * namespace ({@code python3 -c SCRIPT args}): the receiver's line "length sha256" must equal the
 * sender's. Neither end is ours, so what the gateway carried is checked by the kernels' TCP and
 * by the hash.
 */
public final class TcpBulkScripts {
    private TcpBulkScripts() {
    }

    /**
     * Args: bind address, port, socket timeout in seconds. Prints "listening", takes one
     * connection to its end, answers one byte (so the sender knows it was all read), then prints
     * the length and sha256 of what it got.
     */
    public static final String RECEIVER = """
            import hashlib, socket, sys
            s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print("listening", flush=True)
            c, _ = s.accept(); c.settimeout(int(sys.argv[3])); h = hashlib.sha256(); n = 0
            while True:
                b = c.recv(1 << 20)
                if not b: break
                h.update(b); n += len(b)
            c.sendall(b"k"); print(n, h.hexdigest(), flush=True)
            """;

    /**
     * Args: address, port, random seed, byte count, socket timeout in seconds. Sends that many
     * seeded random bytes, shuts its side, waits for the receiver's byte, then prints the length
     * and sha256 of what it sent.
     */
    public static final String SENDER = """
            import hashlib, random, socket, sys
            data = random.Random(int(sys.argv[3])).randbytes(int(sys.argv[4]))
            s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=int(sys.argv[5]))
            s.sendall(data); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
            print(len(data), hashlib.sha256(data).hexdigest(), flush=True)
            """;
}
