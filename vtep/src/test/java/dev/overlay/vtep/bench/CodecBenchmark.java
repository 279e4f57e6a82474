package dev.overlay.vtep.bench;

import dev.overlay.vtep.Ethernet;
import dev.overlay.vtep.Fdb;
import dev.overlay.vtep.FlowHash;
import dev.overlay.vtep.Geneve;
import dev.overlay.vtep.GeneveOption;
import dev.overlay.vtep.GeneveOptions;
import dev.overlay.vtep.Ipv4;
import dev.overlay.vtep.Ipv6;
import dev.overlay.vtep.MacAddress;
import dev.overlay.vtep.OuterHeaders;
import dev.overlay.vtep.Udp;
import dev.overlay.vtep.VtepDrop;
import dev.overlay.vtep.Vxlan;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-packet cost of the wire layer on one core: encapsulation (VXLAN or Geneve + UDP +
 * IP + Ethernet prepended in place, with the flow hash and, for IPv6, the UDP checksum) and
 * receive (outer parse with UDP checksum verification where present, then the tunnel check).
 * Run with {@code -prof gc}: every benchmark here should allocate 0 bytes per operation.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {
    private static final int HEADROOM = 128;
    private static final byte[] SRC4 = {(byte) 192, 0, 2, 1};
    private static final byte[] DST4 = {(byte) 192, 0, 2, 2};
    private static final byte[] SRC6 = new byte[16];
    private static final byte[] DST6 = new byte[16];

    static {
        SRC6[0] = 0x20;
        SRC6[15] = 1;
        DST6[0] = 0x20;
        DST6[15] = 2;
    }

    @Param({"64", "1400"})
    int frameLength;

    private ByteBuf tx;
    private ByteBuf rxVxlan;
    private ByteBuf rxGeneve;
    private final OuterHeaders headers = new OuterHeaders();
    private final GeneveOptions options = GeneveOptions.of(
            List.of(new GeneveOption(0x0102, 0x01, new byte[] {0, 0, 0, 10})));
    private final Fdb fdb = new Fdb(List.of("gw-b", "gw-c"),
            Map.of(MacAddress.of("02:00:00:00:00:02"), "gw-b"));
    private long lookupMac = MacAddress.of("02:00:00:00:00:02").value();

    @Setup(Level.Trial)
    public void setUp() {
        tx = Unpooled.directBuffer(HEADROOM + frameLength);
        tx.setIndex(HEADROOM, HEADROOM);
        tx.writeZero(frameLength);
        // An inner Ethernet / IPv4 / UDP frame so the flow hash reads a 5-tuple.
        tx.setShort(HEADROOM + 12, Ethernet.TYPE_IPV4);
        tx.setByte(HEADROOM + 14, 0x45);
        tx.setByte(HEADROOM + 23, 17);
        rxVxlan = encapVxlanIpv4Into(tx.copy(0, HEADROOM + frameLength)).copy();
        rxGeneve = encapGeneveIpv6Into(tx.copy(0, HEADROOM + frameLength)).copy();
        for (int i = 0; i < 1000; i++) {
            fdb.learn(0x0200_0001_0000L + i, "gw-c");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tx.release();
        rxVxlan.release();
        rxGeneve.release();
    }

    private ByteBuf encapVxlanIpv4Into(ByteBuf buf) {
        buf.setIndex(HEADROOM, HEADROOM + frameLength);
        int hash = FlowHash.hash(buf, HEADROOM, frameLength);
        Vxlan.prepend(buf, 1001);
        Udp.prepend(buf, FlowHash.sourcePort(hash), Vxlan.DEFAULT_PORT, SRC4, DST4, false);
        Ipv4.prepend(buf, SRC4, DST4, Udp.PROTOCOL);
        Ethernet.prepend(buf, 0x0200_0000_0b01L, 0x0200_0000_0a01L, Ethernet.TYPE_IPV4);
        return buf;
    }

    private ByteBuf encapGeneveIpv6Into(ByteBuf buf) {
        buf.setIndex(HEADROOM, HEADROOM + frameLength);
        int hash = FlowHash.hash(buf, HEADROOM, frameLength);
        Geneve.prepend(buf, 2001, options, false);
        Udp.prepend(buf, FlowHash.sourcePort(hash), Geneve.DEFAULT_PORT, SRC6, DST6, true);
        Ipv6.prepend(buf, SRC6, DST6, Udp.PROTOCOL, FlowHash.ipv6FlowLabel(hash));
        Ethernet.prepend(buf, 0x0200_0000_0b01L, 0x0200_0000_0a01L, Ethernet.TYPE_IPV6);
        return buf;
    }

    @Benchmark
    public int encapVxlanIpv4() {
        return encapVxlanIpv4Into(tx).readerIndex();
    }

    @Benchmark
    public int encapGeneveIpv6() {
        return encapGeneveIpv6Into(tx).readerIndex();
    }

    @Benchmark
    public int decapVxlanIpv4() {
        VtepDrop drop = OuterHeaders.parse(rxVxlan, headers, true);
        if (drop == null) {
            drop = Vxlan.check(rxVxlan, headers.payloadOffset, headers.payloadLength);
        }
        return drop == null ? Vxlan.vni(rxVxlan, headers.payloadOffset) : -drop.ordinal();
    }

    @Benchmark
    public int decapGeneveIpv6() {
        VtepDrop drop = OuterHeaders.parse(rxGeneve, headers, true);
        if (drop == null) {
            drop = Geneve.check(rxGeneve, headers.payloadOffset, headers.payloadLength,
                    Geneve.OptionFilter.NONE);
        }
        return drop == null ? Geneve.vni(rxGeneve, headers.payloadOffset) : -drop.ordinal();
    }

    @Benchmark
    public String fdbLookupAndLearn() {
        fdb.learn(0x0200_0001_0007L, "gw-c");
        return fdb.lookup(lookupMac);
    }
}
