package dev.overlay.datapath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * scapy (python3-scapy, {@code /usr/bin/python3}) as the oracle of the datapath's packet
 * builders: it makes the input packets and parses, checks and recomputes what we make of them.
 * A missing scapy fails the test, never skips it ({@code bin/test} installs it as root).
 */
final class Scapy {
    static final String PYTHON = "/usr/bin/python3";

    private Scapy() {
    }

    /** Runs {@code script} with {@code input} on stdin; its stdout, which must be one JSON value. */
    static JsonNode run(String script, String input) throws Exception {
        assertTrue(Files.isExecutable(Path.of(PYTHON)), PYTHON + " is required (with python3-scapy)");
        Process p = new ProcessBuilder(PYTHON, "-c", "from scapy.all import *\nimport json, sys\n" + script).start();
        p.getOutputStream().write(input.getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "scapy timed out");
        assertEquals(0, p.exitValue(), () -> "scapy failed: " + new String(err, StandardCharsets.UTF_8));
        return new ObjectMapper().readTree(out);
    }

    /** A frame of hex bytes in a buffer with the datapath's head- and tailroom. */
    static ByteBuf frame(String hex) {
        byte[] b = HexFormat.of().parseHex(hex);
        return Buffers.frame(UnpooledByteBufAllocator.DEFAULT, b, 0, b.length);
    }

    static String hex(ByteBuf buf) {
        return ByteBufUtil.hexDump(buf);
    }
}
