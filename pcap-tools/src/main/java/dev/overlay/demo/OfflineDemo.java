package dev.overlay.demo;

import dev.overlay.cli.Configs;
import dev.overlay.cli.UserException;
import dev.overlay.datapath.Buffers;
import dev.overlay.datapath.DropCounts;
import dev.overlay.datapath.OverlayDecap;
import dev.overlay.datapath.OverlayEncap;
import dev.overlay.datapath.SaTable;
import dev.overlay.datapath.Tenant;
import dev.overlay.datapath.Topology;
import dev.overlay.datapath.TxPath;
import dev.overlay.pcap.capture.CaptureException;
import dev.overlay.pcap.capture.CaptureWriter;
import dev.overlay.pcap.capture.TimestampPrecision;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code overlay demo --offline}: the two tenants of {@code test-pcaps/} (blue and red, with
 * the same inner IP addresses) go from gateway gw-a to gateway gw-b through the datapath of each,
 * ESP-in-UDP with AES-GCM-256 ({@code configs/two-tenants-gw-*.yaml}): gw-a encodes every frame,
 * the wire packets of both tenants are interleaved as they would be on one underlay, gw-b decodes
 * them. Every frame must come out intact at its own tenant and nowhere else; the table says what
 * went where. The wire capture is kept so it can be opened in Wireshark.
 */
final class OfflineDemo {
    private final Path repo;
    private final Path outDir;
    private final PrintWriter out;

    /** @param outDir where to keep the wire capture, or null for a new temporary directory */
    OfflineDemo(Path repo, Path outDir, PrintWriter out) {
        this.repo = repo;
        this.outDir = outDir;
        this.out = out;
    }

    /** What one tenant sent and what arrived where. */
    static final class Tally {
        final List<byte[]> sent = new ArrayList<>();
        long sentBytes;
        long wirePackets;
        long wireBytes;
        long received;
        long receivedBytes;
        long intact;
        long misdelivered;
        String spi = "-";
    }

    int run() throws IOException {
        Path configA = repo.resolve("configs/two-tenants-gw-a.yaml");
        Path configB = repo.resolve("configs/two-tenants-gw-b.yaml");
        Topology gwA = Topology.of(Configs.loadOrFail(configA));
        Topology gwB = Topology.of(Configs.loadOrFail(configB));
        Map<String, Tally> tallies = new LinkedHashMap<>();
        for (String tenant : List.of("blue", "red")) {
            Tally tally = new Tally();
            for (byte[] frame : TenantFrames.read(repo.resolve("test-pcaps/tenant-" + tenant + ".pcap"))) {
                tally.sent.add(frame);
                tally.sentBytes += frame.length;
            }
            tallies.put(tenant, tally);
        }

        // gw-a: encode each tenant's frames; interleave the tenants on the wire.
        UnpooledByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        List<byte[]> wire = new ArrayList<>();
        DropCounts txDrops = new DropCounts();
        try (SaTable sasA = SaTable.of(gwA, true); SaTable sasB = SaTable.of(gwB, true)) {
            TxPath tx = new TxPath(gwA, new OverlayEncap(gwA, sasA), alloc);
            int frames = tallies.values().stream().mapToInt(t -> t.sent.size()).max().orElse(0);
            for (int i = 0; i < frames; i++) {
                for (Map.Entry<String, Tally> e : tallies.entrySet()) {
                    Tally tally = e.getValue();
                    if (i >= tally.sent.size()) {
                        continue;
                    }
                    byte[] frame = tally.sent.get(i);
                    Tenant tenant = gwA.tenant(e.getKey());
                    tx.forward(Buffers.frame(alloc, frame, 0, frame.length), tenant, (pkt, t, peer) -> {
                        wire.add(ByteBufUtil.getBytes(pkt));
                        tally.wirePackets++;
                        tally.wireBytes += pkt.readableBytes();
                        pkt.release();
                    }, txDrops);
                }
            }

            // gw-b: decode everything that crossed the wire.
            OverlayDecap decap = new OverlayDecap(gwB, sasB, true);
            OverlayDecap.Result result = new OverlayDecap.Result();
            DropCounts rxDrops = new DropCounts();
            Map<String, Integer> next = new LinkedHashMap<>();
            for (byte[] packet : wire) {
                ByteBuf buf = Unpooled.wrappedBuffer(packet.clone());
                if (!decap.decapsulate(buf, result, rxDrops)) {
                    continue;
                }
                Tally tally = tallies.get(result.tenant.name());
                tally.received++;
                tally.receivedBytes += buf.readableBytes();
                tally.spi = String.format("0x%08x", result.spi);
                int index = next.merge(result.tenant.name(), 1, Integer::sum) - 1;
                byte[] frame = ByteBufUtil.getBytes(buf);
                if (index < tally.sent.size() && Arrays.equals(frame, tally.sent.get(index))) {
                    tally.intact++;
                } else {
                    tally.misdelivered++;
                }
            }
            Path kept = keep(wire);
            return report(tallies, txDrops, rxDrops, kept);
        }
    }

    private int report(Map<String, Tally> tallies, DropCounts txDrops, DropCounts rxDrops, Path kept) {
        out.println("overlay demo (offline): gw-a 127.0.0.1 -> gw-b 127.0.0.2, ESP in UDP 4500, AES-GCM-256");
        out.println("tenants blue (VXLAN, VNI 1001) and red (Geneve, VNI 1002) both use 10.0.0.1 <-> 10.0.0.2");
        out.println();
        String format = "%-8s %-11s %6s %9s %6s %9s %9s %6s %6s %6s%n";
        out.printf(format, "TENANT", "SPI", "SENT", "BYTES", "WIRE", "WIRE-B", "RECEIVED", "INTACT", "WRONG", "DROPS");
        boolean ok = true;
        for (Map.Entry<String, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            long lost = t.sent.size() - t.intact;
            out.printf(format, e.getKey(), t.spi, t.sent.size(), t.sentBytes, t.wirePackets, t.wireBytes,
                    t.received, t.intact, t.misdelivered, lost);
            ok &= t.intact == t.sent.size() && t.misdelivered == 0;
        }
        out.println();
        out.println("gw-a drops: " + (txDrops.total() == 0 ? "none" : txDrops));
        out.println("gw-b drops: " + (rxDrops.total() == 0 ? "none" : rxDrops));
        out.println("wire capture: " + kept + "  (open it with: bin/overlay pcap inspect --config configs/two-tenants-gw-b.yaml --in " + kept + ")");
        out.println(ok ? "result: every frame arrived intact at its own tenant, and nowhere else"
                : "result: FAILED: frames were lost or reached the wrong tenant");
        out.flush();
        return ok ? 0 : 1;
    }

    private Path keep(List<byte[]> wire) throws IOException {
        Path dir = outDir != null ? Files.createDirectories(outDir) : Files.createTempDirectory("overlay-demo-");
        Path file = dir.resolve("wire.pcap");
        try (CaptureWriter writer = CaptureWriter.create(file, TimestampPrecision.MICRO)) {
            long second = 1_767_225_600L; // 2026-01-01T00:00:00Z, as the tenant captures
            for (int i = 0; i < wire.size(); i++) {
                writer.write(wire.get(i), second, i * 1000);
            }
        } catch (CaptureException e) {
            throw new UserException(UserException.UNREADABLE_INPUT, e.getMessage(), e);
        }
        return file;
    }
}
